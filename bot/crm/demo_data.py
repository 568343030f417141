"""The demo dataset as data: our users, third parties and their people, deals, tickets, projects and texts.

Everything here is a literal; :mod:`bot.crm.demo` turns it into rows relative to "now". Names that the story
in DESIGN.md §7 and the tests rely on (ACME GmbH and Max Mustermann, Soylent GmbH and Max Weber, the three
Müller companies, Initech, Globex and Hank ...) are spelled here exactly once. "Cyberdyne Systems" is left out
on purpose: tests use it as the company nobody knows. Domains use the reserved ``.example`` TLD and phone
numbers the ranges reserved for fiction (US 555-01xx, UK Ofcom drama ranges) where one exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from bot.crm.models import CustomerType, ProspectLevel, ProspectStatus, TicketStatus

OUR_COMPANY = "Nordlicht Software GmbH"
OUR_DOMAIN = "nordlicht.example"


@dataclass(frozen=True)
class UserSeed:
    login: str
    name: str
    timezone: str
    language: str
    preferred_channel: str
    admin: bool = False
    restricted: bool = False

    @property
    def email(self) -> str:
        return f"{self.login}@{OUR_DOMAIN}"


USERS = (
    UserSeed("anna", "Anna Berger", "Europe/Berlin", "de", "telegram", admin=True),
    UserSeed("bob", "Bob Miller", "America/New_York", "en", "slack"),
    UserSeed("carla", "Carla Schmidt", "Europe/Berlin", "de", "email", restricted=True),
)


@dataclass(frozen=True)
class PersonSeed:
    first: str
    last: str
    job: str
    civility: str  # Dolibarr c_civility: MR, MME, DR ...
    email: str | None = None  # default: first.last@<company domain>


P = PersonSeed

CUSTOMER, PROSPECT = CustomerType.CUSTOMER, CustomerType.PROSPECT
BOTH, NONE = CustomerType.BOTH, CustomerType.NONE


@dataclass(frozen=True)
class CompanySeed:
    name: str
    lang: str  # de | en: the language of its texts and contacts
    country: str
    zip: str
    town: str
    street: str
    phone: str  # "-0" at the end: German switchboard, contacts get extensions
    domain: str | None
    customer_type: int
    reps: tuple[str, ...] = ()
    staff: int = 2  # contacts in total: the named people first, then generated ones
    people: tuple[PersonSeed, ...] = ()
    supplier: bool = False
    individual: bool = False
    closed: bool = False
    prospect_status: int | None = None  # None: contacted for customers, never contacted otherwise
    prospect_level: str | None = None
    lead_source: str | None = None
    vat: str | None = None
    alias: str | None = None
    note: str | None = None
    silent: bool = False  # a customer nobody has talked to for more than 30 days
    converted_days_ago: int | None = None


C = CompanySeed
HIGH, MEDIUM, LOW = ProspectLevel.HIGH, ProspectLevel.MEDIUM, ProspectLevel.LOW
IN_PROGRESS, CONTACTED = ProspectStatus.IN_PROGRESS, ProspectStatus.CONTACTED
TO_CONTACT, DO_NOT_CONTACT = ProspectStatus.TO_CONTACT, ProspectStatus.DO_NOT_CONTACT

THIRDPARTIES: tuple[CompanySeed, ...] = (
    # -- German-speaking: Anna's territory ------------------------------------------------------------
    C(
        "ACME GmbH",
        "de",
        "DE",
        "10117",
        "Berlin",
        "Friedrichstraße 68",
        "+49 30 209654-0",
        "acme.example",
        CUSTOMER,
        ("anna",),
        4,
        (
            P("Max", "Mustermann", "Einkaufsleiter", "MR"),
            P("Erika", "Musterfrau", "Geschäftsführerin", "MME"),
        ),
        vat="DE284736190",
        lead_source="SRC_WOM",
    ),
    C(
        "Soylent GmbH",
        "de",
        "DE",
        "20457",
        "Hamburg",
        "Am Sandtorkai 12",
        "+49 40 317642-0",
        "soylent.example",
        CUSTOMER,
        ("anna",),
        3,
        (P("Max", "Weber", "Leiter Einkauf", "MR"),),
        vat="DE193847562",
    ),
    C(
        "Müller Bau GmbH",
        "de",
        "DE",
        "80339",
        "München",
        "Landsberger Straße 155",
        "+49 89 540417-0",
        "mueller-bau.example",
        CUSTOMER,
        ("anna",),
        3,
        vat="DE271635498",
    ),
    C(
        "Müller Logistik AG",
        "de",
        "DE",
        "28197",
        "Bremen",
        "Hafenstraße 44",
        "+49 421 398871-0",
        "mueller-logistik.example",
        BOTH,
        ("anna",),
        3,
        vat="DE305528147",
    ),
    C(
        "Müller & Söhne KG",
        "de",
        "DE",
        "70173",
        "Stuttgart",
        "Königstraße 21",
        "+49 711 226530-0",
        "mueller-soehne.example",
        PROSPECT,
        ("anna",),
        2,
        prospect_status=IN_PROGRESS,
        prospect_level=MEDIUM,
        lead_source="SRC_CAMP_EMAIL",
    ),
    C(
        "Köhler Maschinenbau GmbH",
        "de",
        "DE",
        "09111",
        "Chemnitz",
        "Zwickauer Straße 210",
        "+49 371 479220-0",
        "koehler-maschinenbau.example",
        CUSTOMER,
        ("anna",),
        3,
        (P("Jürgen", "Köhler", "Geschäftsführer", "MR"),),
        vat="DE198273645",
    ),
    C(
        "Schmidt & Partner Steuerberatung",
        "de",
        "DE",
        "04109",
        "Leipzig",
        "Katharinenstraße 9",
        "+49 341 992130-0",
        "schmidt-partner.example",
        CUSTOMER,
        ("anna", "carla"),
        2,
        (P("Helga", "Schmidt", "Steuerberaterin, Partnerin", "DR"),),
        supplier=True,
        alias="S&P Steuerberatung",
        note="Macht auch unsere Jahresabschlüsse.",
    ),
    C(
        "Bäckerei Sonnenschein GmbH",
        "de",
        "DE",
        "14467",
        "Potsdam",
        "Brandenburger Straße 30",
        "+49 331 200715-0",
        "baeckerei-sonnenschein.example",
        CUSTOMER,
        ("carla", "anna"),
        2,
    ),
    C(
        "Stadtwerke Lindenau GmbH",
        "de",
        "DE",
        "04177",
        "Leipzig",
        "Lützner Straße 90",
        "+49 341 480960-0",
        "stadtwerke-lindenau.example",
        CUSTOMER,
        ("anna",),
        4,
        vat="DE811730264",
    ),
    C(
        "Elektro Wagner GmbH & Co. KG",
        "de",
        "DE",
        "90402",
        "Nürnberg",
        "Färberstraße 12",
        "+49 911 235580-0",
        "elektro-wagner.example",
        CUSTOMER,
        ("anna",),
        3,
        alias="Elektro Wagner",
    ),
    C(
        "Hansa Spedition GmbH",
        "de",
        "DE",
        "20095",
        "Hamburg",
        "Ballindamm 17",
        "+49 40 866102-0",
        "hansa-spedition.example",
        CUSTOMER,
        (),
        2,
    ),
    C(
        "Brauerei Falkenstein AG",
        "de",
        "DE",
        "95444",
        "Bayreuth",
        "Brauhausgasse 3",
        "+49 921 507730-0",
        "brauerei-falkenstein.example",
        PROSPECT,
        (),
        2,
        prospect_status=TO_CONTACT,
        prospect_level=LOW,
        lead_source="SRC_CAMP_EMAIL",
    ),
    C(
        "Grünwald Immobilien GmbH",
        "de",
        "DE",
        "60311",
        "Frankfurt am Main",
        "Goethestraße 7",
        "+49 69 130258-0",
        "gruenwald-immobilien.example",
        CUSTOMER,
        ("anna",),
        2,
        silent=True,
    ),
    C(
        "Weißbach Medizintechnik GmbH",
        "de",
        "DE",
        "91052",
        "Erlangen",
        "Nürnberger Straße 71",
        "+49 9131 81204-0",
        "weissbach-medizintechnik.example",
        PROSPECT,
        ("anna",),
        3,
        prospect_status=IN_PROGRESS,
        prospect_level=HIGH,
        lead_source="SRC_PARTNER",
    ),
    C(
        "Fischer Druck & Medien GmbH",
        "de",
        "DE",
        "50667",
        "Köln",
        "Hohe Straße 110",
        "+49 221 925470-0",
        "fischer-druck.example",
        NONE,
        (),
        2,
        supplier=True,
        note="Druckt Flyer und Messematerial.",
    ),
    C(
        "Alpenhotel Zugspitzblick GmbH",
        "de",
        "DE",
        "82467",
        "Garmisch-Partenkirchen",
        "Zugspitzstraße 14",
        "+49 8821 73290-0",
        "zugspitzblick.example",
        CUSTOMER,
        ("anna",),
        2,
    ),
    C(
        "Zahnarztpraxis Dr. Lehmann",
        "de",
        "DE",
        "01067",
        "Dresden",
        "Prager Straße 2",
        "+49 351 4862270-0",
        "praxis-lehmann.example",
        CUSTOMER,
        ("anna",),
        2,
        (P("Katrin", "Lehmann", "Zahnärztin, Inhaberin", "DR"),),
    ),
    C(
        "Bergmann Elektronik AG",
        "de",
        "DE",
        "30159",
        "Hannover",
        "Georgstraße 36",
        "+49 511 367740-0",
        "bergmann-elektronik.example",
        BOTH,
        ("anna", "bob"),
        4,
        vat="DE246813579",
        converted_days_ago=300,
    ),
    C(
        "Rheinland Versicherung AG",
        "de",
        "DE",
        "40212",
        "Düsseldorf",
        "Königsallee 60",
        "+49 211 882190-0",
        "rheinland-versicherung.example",
        PROSPECT,
        ("anna",),
        3,
        prospect_status=CONTACTED,
        prospect_level=MEDIUM,
        lead_source="SRC_COMM",
    ),
    C(
        "Stahlwerk Ruhrtal GmbH",
        "de",
        "DE",
        "44135",
        "Dortmund",
        "Westfalendamm 87",
        "+49 231 557610-0",
        "stahlwerk-ruhrtal.example",
        NONE,
        (),
        1,
        supplier=True,
        closed=True,
        note="Werk 2025 stillgelegt, Lieferantenkonto geschlossen.",
    ),
    C(
        "Nordwind Rechenzentrum GmbH",
        "de",
        "DE",
        "24103",
        "Kiel",
        "Holstenstraße 1",
        "+49 431 990440-0",
        "nordwind-rz.example",
        NONE,
        (),
        2,
        supplier=True,
        note="Hosting unserer Kundensysteme.",
    ),
    C(
        "Gasthaus Zur Linde",
        "de",
        "DE",
        "97070",
        "Würzburg",
        "Domstraße 4",
        "+49 931 321880-0",
        "gasthaus-linde.example",
        CUSTOMER,
        ("carla", "anna"),
        1,
    ),
    C(
        "Autohaus Becker GmbH",
        "de",
        "DE",
        "45127",
        "Essen",
        "Kettwiger Straße 20",
        "+49 201 843310-0",
        "autohaus-becker.example",
        CUSTOMER,
        ("anna",),
        3,
        silent=True,
    ),
    C(
        "Lindner Möbelwerkstätten GmbH & Co. KG",
        "de",
        "DE",
        "33602",
        "Bielefeld",
        "Niedernstraße 18",
        "+49 521 964470-0",
        "lindner-moebel.example",
        CUSTOMER,
        ("anna",),
        3,
        vat="DE129384756",
    ),
    C(
        "Ostsee Reisen GmbH",
        "de",
        "DE",
        "18055",
        "Rostock",
        "Kröpeliner Straße 33",
        "+49 381 459930-0",
        "ostsee-reisen.example",
        CUSTOMER,
        (),
        2,
    ),
    C(
        "Wiener Feinkost GmbH",
        "de",
        "AT",
        "1010",
        "Wien",
        "Kärntner Straße 19",
        "+43 1 5124780-0",
        "wiener-feinkost.example",
        CUSTOMER,
        ("anna",),
        2,
        vat="ATU63945218",
    ),
    C(
        "Zürcher Uhrenmanufaktur AG",
        "de",
        "CH",
        "8001",
        "Zürich",
        "Bahnhofstrasse 45",
        "+41 44 221 30 00",
        "zuercher-uhren.example",
        PROSPECT,
        ("anna",),
        2,
        prospect_status=IN_PROGRESS,
        prospect_level=HIGH,
        vat="CHE-116.281.710 MWST",
        lead_source="SRC_WOM",
    ),
    C(
        "Sabine Krüger",
        "de",
        "DE",
        "10999",
        "Berlin",
        "Oranienstraße 25",
        "+49 30 6112840",
        "krueger-design.example",
        CUSTOMER,
        ("anna",),
        0,
        individual=True,
        note="Freiberufliche Designerin, eine Lizenz.",
    ),
    C(
        "Jörg Weiß",
        "de",
        "DE",
        "04105",
        "Leipzig",
        "Gohliser Straße 8",
        "+49 341 5629017",
        None,
        PROSPECT,
        (),
        0,
        individual=True,
        prospect_status=TO_CONTACT,
        prospect_level=LOW,
        lead_source="SRC_INTE",
    ),
    # -- English-speaking: Bob's territory ------------------------------------------------------------
    C(
        "Initech",
        "en",
        "US",
        "78701",
        "Austin",
        "4120 Freidrich Lane",
        "+1 512 555 0100",
        "initech.example",
        CUSTOMER,
        ("bob", "anna"),
        3,
        (
            P("Peter", "Gibbons", "Software Engineer", "MR"),
            P("Bill", "Lumbergh", "Division Vice President", "MR"),
            P("Milton", "Waddams", "Collator", "MR"),
        ),
        converted_days_ago=400,
    ),
    C(
        "Globex Corporation",
        "en",
        "US",
        "97477",
        "Springfield",
        "1 Globex Plaza",
        "+1 541 555 0100",
        "globex.example",
        CUSTOMER,
        ("bob",),
        3,
        (P("Hank", "Scorpio", "CEO", "MR", email="hank@globex.example"),),
    ),
    C(
        "Hooli",
        "en",
        "US",
        "94301",
        "Palo Alto",
        "2624 Mill Street",
        "+1 650 555 0100",
        "hooli.example",
        CUSTOMER,
        ("bob",),
        3,
        (P("Gavin", "Belson", "CEO", "MR"),),
        converted_days_ago=150,
    ),
    C(
        "Stark Industries",
        "en",
        "US",
        "10001",
        "New York",
        "200 Park Avenue",
        "+1 212 555 0100",
        "starkindustries.example",
        BOTH,
        ("bob",),
        3,
        (
            P("Pepper", "Potts", "CEO", "MME"),
            P("Tony", "Stark", "Chief Technology Officer", "MR"),
            P("Happy", "Hogan", "Head of Security", "MR"),
        ),
    ),
    C(
        "Wayne Enterprises",
        "en",
        "US",
        "60601",
        "Chicago",
        "224 Park Drive",
        "+1 312 555 0100",
        "wayne.example",
        PROSPECT,
        ("bob",),
        3,
        prospect_status=IN_PROGRESS,
        prospect_level=HIGH,
        lead_source="SRC_PARTNER",
    ),
    C(
        "Umbrella Corp",
        "en",
        "US",
        "27601",
        "Raleigh",
        "545 Saunders Street",
        "+1 919 555 0100",
        "umbrella.example",
        PROSPECT,
        ("bob",),
        2,
        prospect_status=TO_CONTACT,
        prospect_level=LOW,
        lead_source="SRC_INTE",
    ),
    C(
        "Acme Logistics Ltd",
        "en",
        "GB",
        "M1 1AE",
        "Manchester",
        "12 Piccadilly",
        "+44 161 496 0000",
        "acme-logistics.example",
        CUSTOMER,
        ("bob",),
        3,
        vat="GB314159265",
        alias="AcmeLog",
    ),
    C(
        "Wernham Hogg Ltd",
        "en",
        "GB",
        "SL1 1XX",
        "Slough",
        "27 Crossroads Business Park",
        "+44 1632 960 000",
        "wernham-hogg.example",
        CUSTOMER,
        ("bob",),
        2,
        vat="GB271828182",
    ),
    C(
        "Blue Sun Ltd",
        "en",
        "GB",
        "EC2A 4NE",
        "London",
        "88 Worship Street",
        "+44 20 7946 0100",
        "bluesun.example",
        BOTH,
        ("bob",),
        2,
        vat="GB161803398",
    ),
    C(
        "Wonka Confectionery Ltd",
        "en",
        "GB",
        "YO1 7HH",
        "York",
        "3 Stonegate",
        "+44 1632 960 200",
        "wonka.example",
        CUSTOMER,
        ("bob",),
        2,
    ),
    C(
        "Massive Dynamic",
        "en",
        "US",
        "10004",
        "New York",
        "1 State Street",
        "+1 212 555 0120",
        "massive-dynamic.example",
        CUSTOMER,
        ("bob",),
        3,
    ),
    C(
        "Pied Piper Inc.",
        "en",
        "US",
        "94301",
        "Palo Alto",
        "5230 Newell Road",
        "+1 650 555 0120",
        "piedpiper.example",
        PROSPECT,
        ("bob",),
        2,
        prospect_status=CONTACTED,
        prospect_level=MEDIUM,
        lead_source="SRC_WOM",
    ),
    C(
        "Dunder Mifflin Paper Company",
        "en",
        "US",
        "18503",
        "Scranton",
        "1725 Slough Avenue",
        "+1 570 555 0100",
        "dundermifflin.example",
        NONE,
        ("bob",),
        2,
        supplier=True,
        note="Office paper, monthly delivery.",
    ),
    C(
        "Tyrell Corporation",
        "en",
        "US",
        "90012",
        "Los Angeles",
        "200 N Spring Street",
        "+1 213 555 0100",
        "tyrell.example",
        PROSPECT,
        (),
        1,
        prospect_level=LOW,
    ),
    C(
        "Vandelay Industries",
        "en",
        "US",
        "10019",
        "New York",
        "129 W 81st Street",
        "+1 212 555 0140",
        "vandelay.example",
        PROSPECT,
        (),
        1,
        prospect_status=DO_NOT_CONTACT,
        note="Asked us in writing not to contact them again.",
    ),
    C(
        "Sterling Cooper",
        "en",
        "US",
        "10022",
        "New York",
        "405 Madison Avenue",
        "+1 212 555 0160",
        "sterling-cooper.example",
        PROSPECT,
        ("bob",),
        1,
        closed=True,
        prospect_status=CONTACTED,
        note="Agency closed; our contacts moved on.",
    ),
    C(
        "Los Pollos Hermanos",
        "en",
        "US",
        "87102",
        "Albuquerque",
        "4257 Isleta Boulevard",
        "+1 505 555 0100",
        "lospolloshermanos.example",
        CUSTOMER,
        ("bob",),
        2,
    ),
    C(
        "Nakatomi Trading Corp.",
        "en",
        "US",
        "90067",
        "Los Angeles",
        "2121 Avenue of the Stars",
        "+1 310 555 0100",
        "nakatomi.example",
        CUSTOMER,
        ("bob", "anna"),
        3,
    ),
    C(
        "Oceanic Airlines",
        "en",
        "US",
        "96813",
        "Honolulu",
        "1001 Bishop Street",
        "+1 808 555 0100",
        "oceanic-airlines.example",
        PROSPECT,
        ("bob",),
        2,
        prospect_status=IN_PROGRESS,
        prospect_level=MEDIUM,
        lead_source="SRC_COMM",
    ),
    C(
        "Prestige Worldwide LLC",
        "en",
        "US",
        "92101",
        "San Diego",
        "600 B Street",
        "+1 619 555 0100",
        "prestige-worldwide.example",
        PROSPECT,
        (),
        1,
    ),
    C(
        "Emily Clarke",
        "en",
        "US",
        "02108",
        "Boston",
        "45 Beacon Street",
        "+1 617 555 0100",
        "clarke-consulting.example",
        CUSTOMER,
        ("bob",),
        0,
        individual=True,
        note="Independent consultant, resells our licences to her clients.",
    ),
)

# Contacts that belong to no third party, kept private by the user who created them.
PRIVATE_CONTACTS: tuple[tuple[str, str, PersonSeed], ...] = (
    ("anna", "de", P("Klaus", "Vogel", "Unternehmensberater", "MR", email="klaus@vogel-beratung.example")),
    ("bob", "en", P("Rachel", "Walsh", "Recruiter", "MME", email="rachel.walsh@talentbridge.example")),
)

TAGS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "Key Account",
        "customer",
        ("ACME GmbH", "Initech", "Globex Corporation", "Stark Industries", "Köhler Maschinenbau GmbH"),
    ),
    (
        "Industrie",
        "customer",
        (
            "Köhler Maschinenbau GmbH",
            "Müller Bau GmbH",
            "Bergmann Elektronik AG",
            "Lindner Möbelwerkstätten GmbH & Co. KG",
        ),
    ),
    ("Öffentlicher Sektor", "customer", ("Stadtwerke Lindenau GmbH",)),
    ("Tech", "customer", ("Hooli", "Pied Piper Inc.", "Massive Dynamic")),
    ("IT-Dienstleister", "supplier", ("Nordwind Rechenzentrum GmbH",)),
)

# -- generated people ------------------------------------------------------------------------------------
# No "Max" (exactly two Maxes: Mustermann and Weber), no "Müller" and no first name of the story's cast.
FIRST_NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "de": (
        ("Thomas", "MR"),
        ("Stefan", "MR"),
        ("Andreas", "MR"),
        ("Michael", "MR"),
        ("Claudia", "MME"),
        ("Julia", "MME"),
        ("Lukas", "MR"),
        ("Felix", "MR"),
        ("Jonas", "MR"),
        ("Lena", "MME"),
        ("Hannah", "MME"),
        ("Sophie", "MME"),
        ("Björn", "MR"),
        ("Günther", "MR"),
        ("Dörte", "MME"),
        ("Uwe", "MR"),
        ("Ute", "MME"),
        ("Matthias", "MR"),
        ("Tobias", "MR"),
        ("Christian", "MR"),
        ("Monika", "MME"),
        ("Petra", "MME"),
        ("Birgit", "MME"),
        ("Wolfgang", "MR"),
        ("Frauke", "MME"),
        ("Heike", "MME"),
        ("Ralf", "MR"),
        ("Nils", "MR"),
        ("Anke", "MME"),
        ("Kerstin", "MME"),
        ("Sven", "MR"),
        ("Dirk", "MR"),
        ("Susanne", "MME"),
    ),
    "en": (
        ("James", "MR"),
        ("Mary", "MME"),
        ("Robert", "MR"),
        ("Patricia", "MME"),
        ("Linda", "MME"),
        ("David", "MR"),
        ("Susan", "MME"),
        ("Richard", "MR"),
        ("Karen", "MME"),
        ("Daniel", "MR"),
        ("Nancy", "MME"),
        ("Matthew", "MR"),
        ("Lisa", "MME"),
        ("Andrew", "MR"),
        ("Joshua", "MR"),
        ("Olivia", "MME"),
        ("Ryan", "MR"),
        ("Megan", "MME"),
        ("Kevin", "MR"),
        ("Brian", "MR"),
        ("Laura", "MME"),
        ("Oliver", "MR"),
        ("Charlotte", "MME"),
        ("George", "MR"),
        ("Amelia", "MME"),
        ("Harry", "MR"),
        ("Priya", "MME"),
        ("Carlos", "MR"),
        ("Sofia", "MME"),
        ("Mei", "MME"),
    ),
}
LAST_NAMES: dict[str, tuple[str, ...]] = {
    "de": (
        "Schneider",
        "Meyer",
        "Schulz",
        "Hoffmann",
        "Schäfer",
        "Koch",
        "Bauer",
        "Richter",
        "Klein",
        "Wolf",
        "Schröder",
        "Neumann",
        "Schwarz",
        "Zimmermann",
        "Braun",
        "Hofmann",
        "Hartmann",
        "Lange",
        "Werner",
        "Krause",
        "Köster",
        "Groß",
        "Strauß",
        "Jäger",
        "Böhm",
        "Friedrich",
        "Sommer",
        "Keller",
        "Kühn",
        "Pohl",
        "Haas",
        "Schuster",
        "Roth",
        "Winter",
        "Yılmaz",
        "Kowalski",
        "Nowak",
    ),
    "en": (
        "Smith",
        "Johnson",
        "Williams",
        "Brown",
        "Jones",
        "Garcia",
        "Davis",
        "Rodriguez",
        "Martinez",
        "Wilson",
        "Anderson",
        "Taylor",
        "Moore",
        "Jackson",
        "Lee",
        "Thompson",
        "White",
        "Harris",
        "Lewis",
        "Walker",
        "Hall",
        "Young",
        "King",
        "Wright",
        "Green",
        "Baker",
        "Adams",
        "Nelson",
        "O'Brien",
        "Murphy",
        "Evans",
        "Hughes",
        "Patel",
        "Chen",
        "Nguyen",
        "Kim",
    ),
}
JOB_TITLES: dict[str, tuple[str, ...]] = {
    "de": (
        "Einkauf",
        "Buchhaltung",
        "IT-Leitung",
        "Geschäftsführung",
        "Projektleitung",
        "Controlling",
        "Assistenz der Geschäftsführung",
        "Vertrieb",
        "Marketing",
        "Personalwesen",
    ),
    "en": (
        "Procurement Manager",
        "Accounts Payable",
        "IT Director",
        "Office Manager",
        "Project Manager",
        "VP Operations",
        "Controller",
        "Head of Sales",
        "Marketing Lead",
        "HR Business Partner",
    ),
}
CURRENCIES = {"DE": "EUR", "AT": "EUR", "CH": "CHF", "US": "USD", "GB": "GBP"}
VAT_RATES = {"DE": "0.19"}  # others: reverse charge or export, no VAT on our invoices

# -- activity texts: (label, body); {first} {last} {company} {town} {year} are filled in -----------------
Texts = tuple[tuple[str, str], ...]
TEXTS: dict[str, dict[str, Texts]] = {
    "de": {
        "call": (
            (
                "Telefonat: Preise {year} besprochen",
                "{first} fragt nach den Konditionen für {year}; Staffelpreise ab 50 Lizenzen erläutert.",
            ),
            ("Telefonat: Liefertermin Update", "Einspielen des Updates auf Ende des Monats abgestimmt."),
            (
                "Telefonat: Rückfrage zur Rechnung",
                "Frage zur Position Schulungstage geklärt, keine Gutschrift nötig.",
            ),
            ("Telefonat: Interesse an Zeiterfassung", "{first} möchte eine Demo für das Team; Termin folgt."),
            (
                "Telefonat: Feedback zur Einführung",
                "Zufrieden mit dem Rollout; Wunsch nach Excel-Export notiert.",
            ),
            ("Telefonat: Budgetplanung {year}", "Budget für {year} wird im Dezember freigegeben."),
            (
                "Kurzer Anruf: neue Ansprechpartnerin",
                "Ab nächstem Quartal übernimmt eine Kollegin den Einkauf.",
            ),
        ),
        "meeting": (
            (
                "Jahresgespräch bei {company}",
                "Rückblick und Ausblick auf neue Module; Protokoll an {first} geschickt.",
            ),
            ("Videokonferenz: Roadmap {year}", "Roadmap vorgestellt; großes Interesse an der mobilen App."),
            (
                "Workshop: Prozessaufnahme Einkauf",
                "Ist-Prozesse aufgenommen, Lastenheft folgt bis Monatsende.",
            ),
            ("Schulung vor Ort in {town}", "Halbtägige Schulung für acht Mitarbeitende durchgeführt."),
        ),
        "email": (
            (
                "Unterlagen zur Schnittstelle",
                "Hallo {first}, anbei wie besprochen die Schnittstellenbeschreibung.",
            ),
            (
                "Terminvorschlag Schulung",
                "Hallo {first}, passt Ihnen Dienstag oder Donnerstag nächste Woche?",
            ),
            ("Zugangsdaten Testsystem", "Hallo {first}, das Testsystem ist eingerichtet, Zugang anbei."),
            (
                "Protokoll unseres Gesprächs",
                "Hallo {first}, hier die Punkte aus unserem Gespräch im Überblick.",
            ),
            (
                "Einladung Anwendertreffen {year}",
                "Hallo {first}, wir laden Sie herzlich zu unserem Treffen ein.",
            ),
        ),
        "email_in": (
            (
                "AW: Unterlagen zur Schnittstelle",
                "Danke, wir melden uns nach interner Abstimmung. Gruß {first}",
            ),
            (
                "Frage zur Lizenzverlängerung",
                "Wie verlängern wir die Lizenzen für {year}? Gruß {first} {last}",
            ),
            ("AW: Terminvorschlag Schulung", "Der Dienstag passt uns gut. Viele Grüße, {first}"),
            (
                "Fehlermeldung beim Export",
                "Beim Export der Monatsliste kommt eine Fehlermeldung, Screenshot anbei.",
            ),
        ),
        "note": (
            (
                "Notiz: Entscheidung im Vorstand",
                "Entscheidung über die Erweiterung erst im nächsten Quartal.",
            ),
            ("Notiz: Wettbewerber im Gespräch", "{company} vergleicht auch mit einem Wettbewerber."),
            ("Notiz: Zahlungsziel", "Wünscht Zahlungsziel 45 statt 30 Tage; mit Buchhaltung klären."),
        ),
        "prospect": (
            ("Erstgespräch mit {first} {last}", "Bedarf aufgenommen: Auftragsverwaltung und Zeiterfassung."),
            ("Telefonat: Rückruf vereinbart", "{first} ist im Urlaub; Rückruf in zwei Wochen vereinbart."),
            ("Telefonat: Produktvorstellung", "Kurze Demo für {company}; Fragen zu Datenschutz und Hosting."),
        ),
        "supplier": (
            ("Rechnung erhalten", "Monatsrechnung geprüft und an die Buchhaltung weitergegeben."),
            ("Lieferung bestätigt", "Lieferung ist vollständig eingegangen."),
        ),
    },
    "en": {
        "call": (
            (
                "Call: pricing for {year}",
                "{first} asked about {year} terms; explained volume pricing from 50 seats.",
            ),
            ("Call: update schedule", "Agreed to roll out the update at the end of the month."),
            (
                "Call: invoice question",
                "Clarified the training days on the last invoice; no credit note needed.",
            ),
            ("Call: interest in time tracking", "{first} wants a demo for the team; will send dates."),
            ("Call: rollout feedback", "Happy with the rollout; asked for an Excel export."),
            ("Call: budget {year}", "Budget for {year} gets approved in December."),
        ),
        "meeting": (
            ("Quarterly review with {company}", "Reviewed usage and open tickets; notes sent to {first}."),
            ("Video call: roadmap {year}", "Presented the roadmap; strong interest in the mobile app."),
            ("Workshop: procurement process", "Mapped the current process; requirements doc to follow."),
            ("On-site training in {town}", "Half-day training for eight people."),
        ),
        "email": (
            ("Integration documents", "Hi {first}, as discussed, attached is the API description."),
            ("Training dates", "Hi {first}, would Tuesday or Thursday next week work for you?"),
            ("Sandbox access", "Hi {first}, your sandbox is ready; credentials attached."),
            ("Summary of our call", "Hi {first}, here is a short summary of what we agreed."),
        ),
        "email_in": (
            (
                "RE: Integration documents",
                "Thanks, we will get back to you after an internal review. {first}",
            ),
            ("Licence renewal question", "How do we renew our licences for {year}? Best, {first} {last}"),
            ("RE: Training dates", "Tuesday works for us. Cheers, {first}"),
            (
                "Error when exporting",
                "We get an error when exporting the monthly report, screenshot attached.",
            ),
        ),
        "note": (
            ("Note: board decision pending", "Decision on the extension postponed to next quarter."),
            ("Note: competitor in play", "{company} is also talking to a competitor."),
            ("Note: payment terms", "Asks for 45 days instead of 30; check with accounting."),
        ),
        "prospect": (
            ("Intro call with {first} {last}", "Needs: order management and time tracking."),
            ("Call: call back agreed", "{first} is travelling; call back in two weeks."),
            ("Call: product overview", "Short demo for {company}; questions about security and hosting."),
        ),
        "supplier": (
            ("Invoice received", "Checked the monthly invoice and passed it on to accounting."),
            ("Delivery confirmed", "Delivery arrived complete."),
        ),
    },
}
ACME_CALL = (
    "Telefonat: Angebot {ref} besprochen",
    "{first} hat das Angebot geprüft und klärt das Budget intern. Wiedervorlage Freitag.",
)
ACME_FOLLOWUP = (
    "Wiedervorlage: Angebot {ref} nachfassen",
    "Bei {first} {last} nachfragen, ob das Budget für den Wartungsvertrag freigegeben ist.",
)
QUOTE_MAIL = {
    "de": ("Angebot {ref}: {title}", "Hallo {first}, anbei wie besprochen unser Angebot {ref}."),
    "en": ("Quote {ref}: {title}", "Hi {first}, please find attached our quote {ref} as discussed."),
}


@dataclass(frozen=True)
class DealSeed:
    """A quote and what became of it: open, lost, signed (order), delivered (invoice due), overdue, paid."""

    company: str
    title: str
    days_ago: int
    amount: int
    stage: str


DEALS: tuple[DealSeed, ...] = (
    DealSeed("ACME GmbH", "Softwarelizenzen (50 Arbeitsplätze)", 200, 24_000, "paid"),
    DealSeed("ACME GmbH", "Schulung Modul Zeiterfassung", 60, 3_200, "overdue"),
    DealSeed("ACME GmbH", "Wartungsvertrag {next_year}", 14, 9_600, "open"),
    DealSeed("Soylent GmbH", "Schnittstelle Warenwirtschaft", 90, 18_500, "delivered"),
    DealSeed("Soylent GmbH", "Erweiterung um 10 Lizenzen", 20, 4_800, "open"),
    DealSeed("Müller Bau GmbH", "Baustellen-App Pilot", 120, 12_000, "paid"),
    DealSeed("Müller Bau GmbH", "Baustellen-App Rollout", 10, 36_000, "open"),
    DealSeed("Müller Logistik AG", "Modul Tourenplanung", 75, 15_400, "lost"),
    DealSeed("Köhler Maschinenbau GmbH", "Wartungsportal", 150, 28_000, "paid"),
    DealSeed("Köhler Maschinenbau GmbH", "Servicevertrag {next_year}", 35, 7_200, "signed"),
    DealSeed("Stadtwerke Lindenau GmbH", "Relaunch Kundenportal", 100, 48_000, "overdue"),
    DealSeed("Bergmann Elektronik AG", "Lizenzen Standort Hannover", 50, 9_900, "paid"),
    DealSeed("Wiener Feinkost GmbH", "Webshop-Anbindung", 40, 6_500, "lost"),
    DealSeed("Weißbach Medizintechnik GmbH", "Pilotprojekt Qualitätsmanagement", 7, 19_800, "open"),
    DealSeed("Grünwald Immobilien GmbH", "Mieterportal", 110, 8_400, "paid"),
    DealSeed("Autohaus Becker GmbH", "Werkstattplanung", 95, 5_600, "overdue"),
    DealSeed("Initech", "TPS report integration", 130, 32_000, "paid"),
    DealSeed("Initech", "Support renewal {next_year}", 12, 11_000, "open"),
    DealSeed("Globex Corporation", "Operations dashboard", 80, 54_000, "delivered"),
    DealSeed("Hooli", "Nucleus connector licences", 70, 27_500, "overdue"),
    DealSeed("Stark Industries", "Workshop scheduling suite", 45, 61_000, "signed"),
    DealSeed("Acme Logistics Ltd", "Fleet tracking integration", 60, 14_200, "paid"),
    DealSeed("Massive Dynamic", "Lab inventory module", 25, 22_000, "lost"),
    DealSeed("Los Pollos Hermanos", "Franchise POS integration", 55, 9_800, "paid"),
    DealSeed("Nakatomi Trading Corp.", "Facility booking system", 30, 17_500, "open"),
    DealSeed("Pied Piper Inc.", "Pilot licences", 9, 6_000, "open"),
)


@dataclass(frozen=True)
class TicketSeed:
    company: str
    contact_last: str | None
    subject: str
    message: str
    days_ago: int
    status: int
    severity: str  # Dolibarr c_ticket_severity: LOW NORMAL HIGH BLOCKING
    type_code: str  # Dolibarr c_ticket_type: COM HELP ISSUE REQUEST PROJECT OTHER


T = TicketSeed
CLOSED, OPEN, IN_PROGRESS_TICKET = TicketStatus.CLOSED, TicketStatus.NOT_READ, TicketStatus.IN_PROGRESS

TICKETS: tuple[TicketSeed, ...] = (
    T(
        "ACME GmbH",
        "Musterfrau",
        "Anmeldung nach Update nicht möglich",
        "Seit dem Update können sich drei Kolleginnen nicht mehr anmelden.",
        40,
        CLOSED,
        "HIGH",
        "ISSUE",
    ),
    T(
        "Soylent GmbH",
        "Weber",
        "Export der Lagerliste bricht ab",
        "Der Export bricht bei mehr als 5000 Zeilen ab.",
        6,
        IN_PROGRESS_TICKET,
        "NORMAL",
        "ISSUE",
    ),
    T(
        "Köhler Maschinenbau GmbH",
        "Köhler",
        "Wartungsintervalle falsch berechnet",
        "Intervalle für Anlagen im Schichtbetrieb werden doppelt gezählt.",
        70,
        CLOSED,
        "HIGH",
        "ISSUE",
    ),
    T(
        "Initech",
        "Waddams",
        "Stapler missing from the asset list",
        "My stapler is not in the asset list any more.",
        12,
        TicketStatus.WAITING,
        "LOW",
        "REQUEST",
    ),
    T(
        "Globex Corporation",
        "Scorpio",
        "API rate limit too low for nightly sync",
        "The nightly sync hits the rate limit after 20 minutes.",
        3,
        TicketStatus.ASSIGNED,
        "HIGH",
        "ISSUE",
    ),
    T(
        "Hooli",
        "Belson",
        "Single sign-on with Hooli Accounts",
        "Can we log in with our own identity provider?",
        1,
        OPEN,
        "NORMAL",
        "REQUEST",
    ),
    T(
        "Stadtwerke Lindenau GmbH",
        None,
        "Neue Rechnungsanschrift",
        "Bitte Rechnungen ab sofort an die Zentrale senden.",
        20,
        CLOSED,
        "LOW",
        "COM",
    ),
)


@dataclass(frozen=True)
class TaskSeed:
    label: str
    due_in_days: int  # negative: in the past
    assignee: str
    progress: int
    planned_hours: int


@dataclass(frozen=True)
class ProjectSeed:
    company: str
    title: str
    description: str
    started_days_ago: int
    opp_status: str  # Dolibarr c_lead_status code
    opp_percent: int
    opp_amount: int
    tasks: tuple[TaskSeed, ...] = ()


PROJECTS: tuple[ProjectSeed, ...] = (
    ProjectSeed(
        "Stark Industries",
        "Workshop scheduling rollout",
        "Roll out scheduling to all workshops.",
        45,
        "NEGO",
        60,
        120_000,
        (
            TaskSeed("Requirements workshop", -20, "bob", 100, 16),
            TaskSeed("Data migration plan", 7, "bob", 40, 24),
            TaskSeed("Pilot in the Malibu workshop", 21, "anna", 0, 40),
        ),
    ),
    ProjectSeed(
        "Weißbach Medizintechnik GmbH",
        "Pilotprojekt QM-Software",
        "Pilot für die Qualitätssicherung in der Fertigung.",
        14,
        "PROPO",
        40,
        19_800,
        (
            TaskSeed("Anforderungsanalyse", 5, "anna", 50, 12),
            TaskSeed("Validierungskonzept (MDR)", 14, "anna", 0, 20),
        ),
    ),
    ProjectSeed(
        "Wayne Enterprises",
        "Fleet maintenance platform",
        "Maintenance planning for all vehicles.",
        30,
        "QUAL",
        20,
        250_000,
        (TaskSeed("Security questionnaire", 10, "bob", 0, 6),),
    ),
)


@dataclass(frozen=True)
class MeetingSeed:
    """A meeting still to come; the first login is the owner (and whose time zone *at* is in)."""

    company: str
    lastnames: tuple[str, ...]  # attendees; none: the company's first contact
    logins: tuple[str, ...]
    in_days: int  # 0: today, else the next working day from then
    at: time
    label: str
    body: str
    location: str


MEETINGS: tuple[MeetingSeed, ...] = (
    MeetingSeed(
        "Initech",
        ("Gibbons", "Lumbergh"),
        ("anna", "bob"),
        0,
        time(14, 0),
        "Meeting with Initech",
        "Support renewal and the TPS report roll-out; Peter shows the new cover sheets.",
        "Microsoft Teams",
    ),
    MeetingSeed(
        "Köhler Maschinenbau GmbH",
        ("Köhler",),
        ("anna",),
        2,
        time(10, 0),
        "Werksbesichtigung in Chemnitz",
        "Rundgang durch die Fertigung, danach Gespräch über den Servicevertrag.",
        "Zwickauer Straße 210, 09111 Chemnitz",
    ),
    MeetingSeed(
        "Globex Corporation",
        ("Scorpio",),
        ("bob",),
        3,
        time(10, 0),
        "Quarterly business review",
        "Dashboard usage, the rate-limit ticket and next year's plans.",
        "1 Globex Plaza, Springfield",
    ),
    MeetingSeed(
        "Müller Bau GmbH",
        (),
        ("anna",),
        4,
        time(11, 0),
        "Videokonferenz: Rollout Baustellen-App",
        "Angebot und Zeitplan für den Rollout durchgehen.",
        "Microsoft Teams",
    ),
    MeetingSeed(
        "Stark Industries",
        ("Potts", "Stark"),
        ("bob",),
        8,
        time(15, 0),
        "Steering committee",
        "Pilot results and the rollout plan for all workshops.",
        "200 Park Avenue, New York",
    ),
)
