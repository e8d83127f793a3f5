"""Name, street and city tables for the synthetic buyers, plus the hostile-but-valid names.

Plain data: people.py picks from these tables, presentation.py varies what it picked.
"""

from __future__ import annotations

from dataclasses import dataclass


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.strip() for word in text.split("|"))


# Formal first name → nicknames the same person uses elsewhere.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will", "Billy"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"),
    "Margaret": ("Maggie", "Peggy"),
    "Richard": ("Rick", "Dick"),
    "James": ("Jim", "Jimmy"),
    "Jennifer": ("Jen", "Jenny"),
    "Michael": ("Mike",),
    "Katherine": ("Kate", "Katie"),
    "Christopher": ("Chris",),
    "Alexander": ("Alex", "Sasha"),
    "Patricia": ("Pat", "Trish"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Dan", "Danny"),
    "Susan": ("Sue",),
    "Joseph": ("Joe",),
    "Anthony": ("Tony",),
    "Rebecca": ("Becky",),
    "Samantha": ("Sam",),
    "Nicholas": ("Nick",),
    "Johannes": ("Hannes",),
    "Wolfgang": ("Wolf",),
    "Friedrich": ("Fritz",),
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "US": (
        *NICKNAMES.keys(),
        *_words(
            "José|María|Zoë|Renée|Chloé|André|Mary|John|Linda|David|Sarah|Emily|Olivia|Noah|Liam|"
            "Ava|Sophia|Ethan|Grace|Hannah|Lucas|Mia|Aiden|Priya|Wei|Hiroshi|Aaliyah"
        ),
    ),
    "CA": _words(
        "Robert|William|Elizabeth|Margaret|Michael|Katherine|François|Amélie|Étienne|"
        "Geneviève|Jean-Luc|Marc-André|Chloé|Liam|Olivia|Noah|Emma|Aiden|Priya|Wei"
    ),
    "GB": _words(
        "William|Elizabeth|Margaret|James|Thomas|Katherine|Richard|Rebecca|Oliver|Amelia|"
        "Harry|Isla|George|Poppy|Siobhán|Niamh|Rhys|Eilidh|Saoirse|Arjun"
    ),
    "DE": _words(
        "Johannes|Wolfgang|Friedrich|Alexander|Jürgen|Jörg|Günther|Björn|Sören|Käthe|Lena|"
        "Anna|Lukas|Leon|Marie|Sophie|Maximilian|Hannah|Emre|Zoë"
    ),
}

LAST_NAMES: dict[str, tuple[str, ...]] = {
    "US": _words(
        "Smith|Johnson|Williams|Brown|Jones|García|Miller|Davis|Rodríguez|Martínez|Hernández|"
        "López|Wilson|Anderson|Taylor|Moore|Jackson|Martin|Lee|Pérez|Thompson|White|Harris|"
        "Clark|Nguyen|O'Brien|McDonald|Van der Berg|De la Cruz|Patel|Kim|Chen"
    ),
    "CA": _words(
        "Tremblay|Gagnon|Roy|Côté|Bouchard|Gauthier|Morin|Lavoie|Fortin|Gagné|Smith|Brown|"
        "Wilson|MacDonald|Singh|Li"
    ),
    "GB": _words(
        "Smith|Jones|Taylor|Brown|Williams|Wilson|Johnson|Davies|Robinson|Wright|Thompson|"
        "Evans|Walker|O'Connor|Ó Súilleabháin|Fitzgerald|Hughes|Khan|Patel|Ní Bhriain"
    ),
    "DE": _words(
        "Müller|Schmidt|Schneider|Fischer|Weber|Meyer|Wagner|Becker|Schulz|Hoffmann|Schäfer|"
        "Koch|Bauer|Richter|Klein|Wolf|Schröder|Neumann|Schwarz|Zimmermann|Weiß|Krüger|Yılmaz|"
        "Öztürk"
    ),
}


@dataclass(frozen=True, slots=True)
class City:
    name: str
    state: str
    country_code: str
    postal_prefix: str
    area_code: str


CITIES: dict[str, tuple[City, ...]] = {
    "US": tuple(
        City(name, state, "US", prefix, area)
        for name, state, prefix, area in (
            ("San Francisco", "CA", "941", "415"),
            ("Seattle", "WA", "981", "206"),
            ("Austin", "TX", "787", "512"),
            ("Brooklyn", "NY", "112", "718"),
            ("Chicago", "IL", "606", "312"),
            ("Denver", "CO", "802", "303"),
            ("Portland", "OR", "972", "503"),
            ("Boston", "MA", "021", "617"),
            ("Miami", "FL", "331", "305"),
            ("Atlanta", "GA", "303", "404"),
            ("Phoenix", "AZ", "850", "602"),
            ("Minneapolis", "MN", "554", "612"),
            ("Springfield", "IL", "627", "217"),
            ("Springfield", "MA", "011", "413"),
        )
    ),
    "CA": tuple(
        City(name, state, "CA", prefix, area)
        for name, state, prefix, area in (
            ("Toronto", "ON", "M5V", "416"),
            ("Montréal", "QC", "H2X", "514"),
            ("Vancouver", "BC", "V6B", "604"),
            ("Calgary", "AB", "T2P", "403"),
            ("Ottawa", "ON", "K1P", "613"),
        )
    ),
    "GB": tuple(
        City(name, state, "GB", prefix, area)
        for name, state, prefix, area in (
            ("London", "England", "SW1A", "20"),
            ("Manchester", "England", "M1", "161"),
            ("Edinburgh", "Scotland", "EH1", "131"),
            ("Bristol", "England", "BS1", "117"),
            ("Leeds", "England", "LS1", "113"),
            ("Cardiff", "Wales", "CF10", "29"),
        )
    ),
    "DE": tuple(
        City(name, state, "DE", prefix, area)
        for name, state, prefix, area in (
            ("Berlin", "Berlin", "10", "30"),
            ("München", "Bayern", "80", "89"),
            ("Hamburg", "Hamburg", "20", "40"),
            ("Köln", "Nordrhein-Westfalen", "50", "221"),
            ("Frankfurt am Main", "Hessen", "60", "69"),
            ("Leipzig", "Sachsen", "04", "341"),
        )
    ),
}

STREETS: dict[str, tuple[str, ...]] = {
    "US": _words(
        "Main Street|Oak Avenue|Maple Street|Market Street|Valencia Street|Pine Street|"
        "Cedar Lane|Elm Street|Sunset Boulevard|Lake Shore Drive|Mill Road|Washington Avenue"
    ),
    "CA": _words(
        "Queen Street West|Rue Saint-Denis|Granville Street|Bank Street|Yonge Street|Avenue du Parc"
    ),
    "GB": _words(
        "High Street|Church Road|Victoria Road|Station Road|Princes Street|Park Lane|Mill Lane"
    ),
    "DE": _words(
        "Hauptstraße|Bahnhofstraße|Gartenstraße|Schillerstraße|Lindenallee|Goethestraße|Am Markt"
    ),
}

# Long form → what people type instead ("Street" → "St").
STREET_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Boulevard", "Blvd"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
    ("Road", "Rd"),
    ("straße", "str."),
)

EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "US": ("gmail.com", "yahoo.com", "outlook.com", "icloud.com", "aol.com"),
    "CA": ("gmail.com", "outlook.com", "videotron.ca", "shaw.ca"),
    "GB": ("gmail.com", "hotmail.co.uk", "btinternet.com", "outlook.com"),
    "DE": ("gmail.com", "gmx.de", "web.de", "t-online.de"),
}

COUNTRY_CALLING_CODE = {"US": "1", "CA": "1", "GB": "44", "DE": "49"}

_LONG_FIRST = ("Hubert Blaine Wolfeschlegelsteinhausenbergerdorff " * 6).strip()[:150]
_LONG_LAST = ("Grünewald-Ottenbrink von der Langenstraßenhausen " * 6).strip()[:149]

# (first, last): values a careless export turns into formulas, broken rows or mojibake.
HOSTILE_NAMES: tuple[tuple[str, str], ...] = (
    ('=HYPERLINK("https://example.test","click")', "Formula"),
    ("+SUM(A1:A9)", "Plus"),
    ("-2+3", "Minus"),
    ("@Admin", "Mention"),
    ('Dwayne "The Rock"', "O'Neil"),
    ("Anne, Marie", "Durand, Jr."),
    ("Line\nBreak", "Buyer"),
    ("Emoji 😀", "Fan 🎉"),
    ("محمد", "الأحمد"),
    ("דוד", "כהן"),
    (_LONG_FIRST, _LONG_LAST),
)
