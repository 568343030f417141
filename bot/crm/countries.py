"""Countries: ISO 3166-1 alpha-2 codes from what people type in a spreadsheet.

:func:`country_code` accepts an ISO-2 code ("DE"), a common ISO-3 code ("DEU"), an English, German or French
name ("Germany", "Deutschland", "Allemagne"), with or without umlauts ("Oesterreich"), and Dolibarr's
``llx_c_country`` row id for the common countries (what a Dolibarr export holds in ``fk_pays``). Names go
through :func:`bot.normalize.fold`, so case, accents and punctuation do not matter.
"""

from __future__ import annotations

from bot.normalize import fold

_ISO2 = (
    "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS "
    "BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE "
    "EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM "
    "HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC "
    "LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA "
    "NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW "
    "SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO "
    "TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW "
)
ISO2_CODES = frozenset(_ISO2.split())

# Dolibarr llx_c_country.rowid -> code, for the countries a Dolibarr export is likely to hold.
DOLIBARR_COUNTRY_IDS = {
    1: "FR", 2: "BE", 3: "IT", 4: "ES", 5: "DE", 6: "CH", 7: "GB", 8: "IE", 9: "CN", 10: "TN", 11: "US",
    12: "MA", 13: "DZ", 14: "CA", 17: "NL", 18: "HU", 19: "RU", 20: "SE", 23: "AR", 25: "PT", 26: "SA",
    27: "MC", 28: "AU", 29: "SG", 41: "AT", 56: "BR", 59: "BG", 76: "HR", 78: "CY", 79: "CZ", 80: "DK",
    89: "EE", 94: "FI", 102: "GR", 115: "HK", 116: "IS", 117: "IN", 121: "IL", 123: "JP", 129: "KR",
    133: "LV", 138: "LI", 139: "LT", 140: "LU", 148: "MT", 154: "MX", 166: "NZ", 173: "NO", 184: "PL",
    188: "RO", 198: "RS", 201: "SK", 202: "SI", 205: "ZA", 213: "TW", 221: "TR", 226: "UA", 227: "AE",
}  # fmt: skip

# Names (English, German, French, common short forms) and ISO-3 codes; matched after fold().
_NAMES = {
    "AD": "Andorra; AND",
    "AE": "United Arab Emirates; UAE; Vereinigte Arabische Emirate; Emirats arabes unis; ARE",
    "AR": "Argentina; Argentinien; Argentine; ARG",
    "AT": "Austria; Österreich; Autriche; AUT",
    "AU": "Australia; Australien; Australie; AUS",
    "BA": "Bosnia and Herzegovina; Bosnien und Herzegowina; BIH",
    "BE": "Belgium; Belgien; Belgique; BEL",
    "BG": "Bulgaria; Bulgarien; Bulgarie; BGR",
    "BR": "Brazil; Brasilien; Brésil; BRA",
    "BY": "Belarus; Weißrussland; BLR",
    "CA": "Canada; Kanada; CAN",
    "CH": "Switzerland; Schweiz; Suisse; Svizzera; Confoederatio Helvetica; CHE",
    "CL": "Chile; Chili; CHL",
    "CN": "China; Chine; People's Republic of China; Volksrepublik China; CHN",
    "CO": "Colombia; Kolumbien; Colombie; COL",
    "CY": "Cyprus; Zypern; Chypre; CYP",
    "CZ": "Czech Republic; Czechia; Tschechien; Tschechische Republik; République tchèque; CZE",
    "DE": "Germany; Deutschland; Allemagne; Federal Republic of Germany; Bundesrepublik Deutschland; BRD; "
    "DEU; GER",
    "DK": "Denmark; Dänemark; Danemark; DNK",
    "DZ": "Algeria; Algerien; Algérie; DZA",
    "EE": "Estonia; Estland; Estonie; EST",
    "EG": "Egypt; Ägypten; Égypte; EGY",
    "ES": "Spain; Spanien; Espagne; España; ESP",
    "FI": "Finland; Finnland; Finlande; FIN",
    "FR": "France; Frankreich; FRA",
    "GB": "United Kingdom; UK; Great Britain; Britain; England; Scotland; Wales; Northern Ireland; "
    "Vereinigtes Königreich; Großbritannien; Royaume-Uni; Grande-Bretagne; GBR",
    "GR": "Greece; Griechenland; Grèce; GRC; EL",
    "HK": "Hong Kong; Hongkong; HKG",
    "HR": "Croatia; Kroatien; Croatie; HRV",
    "HU": "Hungary; Ungarn; Hongrie; HUN",
    "ID": "Indonesia; Indonesien; Indonésie; IDN",
    "IE": "Ireland; Irland; Irlande; IRL",
    "IL": "Israel; Israël; ISR",
    "IN": "India; Indien; Inde; IND",
    "IS": "Iceland; Island; Islande; ISL",
    "IT": "Italy; Italien; Italie; Italia; ITA",
    "JP": "Japan; Japon; JPN",
    "KR": "South Korea; Korea; Republic of Korea; Südkorea; Corée du Sud; KOR",
    "LI": "Liechtenstein; LIE",
    "LT": "Lithuania; Litauen; Lituanie; LTU",
    "LU": "Luxembourg; Luxemburg; LUX",
    "LV": "Latvia; Lettland; Lettonie; LVA",
    "MA": "Morocco; Marokko; Maroc; MAR",
    "MC": "Monaco; MCO",
    "MT": "Malta; Malte; MLT",
    "MX": "Mexico; Mexiko; Mexique; MEX",
    "MY": "Malaysia; Malaisie; MYS",
    "NL": "Netherlands; The Netherlands; Holland; Niederlande; Pays-Bas; Nederland; NLD",
    "NO": "Norway; Norwegen; Norvège; NOR",
    "NZ": "New Zealand; Neuseeland; Nouvelle-Zélande; NZL",
    "PH": "Philippines; Philippinen; PHL",
    "PL": "Poland; Polen; Pologne; Polska; POL",
    "PT": "Portugal; PRT",
    "QA": "Qatar; Katar; QAT",
    "RO": "Romania; Rumänien; Roumanie; ROU",
    "RS": "Serbia; Serbien; Serbie; SRB",
    "RU": "Russia; Russian Federation; Russland; Russie; RUS",
    "SA": "Saudi Arabia; Saudi-Arabien; Arabie saoudite; SAU",
    "SE": "Sweden; Schweden; Suède; SWE",
    "SG": "Singapore; Singapur; Singapour; SGP",
    "SI": "Slovenia; Slowenien; Slovénie; SVN",
    "SK": "Slovakia; Slowakei; Slovaquie; SVK",
    "TH": "Thailand; Thaïlande; THA",
    "TN": "Tunisia; Tunesien; Tunisie; TUN",
    "TR": "Turkey; Türkiye; Türkei; Turquie; TUR",
    "TW": "Taiwan; Taïwan; TWN",
    "UA": "Ukraine; UKR",
    "US": "United States; United States of America; USA; U.S.A.; U.S.; America; Vereinigte Staaten; "
    "Vereinigte Staaten von Amerika; Amerika; États-Unis",
    "VN": "Vietnam; Viet Nam; VNM",
    "ZA": "South Africa; Südafrika; Afrique du Sud; ZAF",
}

_BY_NAME: dict[str, str] = {
    fold(name): code for code, names in _NAMES.items() for name in names.split(";") if name.strip()
}


def country_code(text: str) -> str | None:
    """The ISO-2 code for *text*, or None when it names no country we know."""
    value = text.strip()
    if not value:
        return None
    if len(value) == 2 and value.isalpha() and value.upper() in ISO2_CODES:
        return value.upper()
    if value.isdecimal():
        return DOLIBARR_COUNTRY_IDS.get(int(value))
    return _BY_NAME.get(fold(value))
