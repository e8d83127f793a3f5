"""Word lists for names and addresses: nicknames, honorifics, surname particles, street words,
states, countries (the normalizers use them, and so does the import to split full names); and
the public mail providers, whose domains say nothing of where a buyer works.

Plain data, folded the way ``pipeline.normalize.fold`` folds (lower case, no accents), so
lookups need no further work. Lists are deliberately common-case only: an unknown word passes
through unchanged, which is always safe for matching.
"""

from __future__ import annotations


def _table(text: str) -> dict[str, tuple[str, ...]]:
    """``"robert: bob rob | william: bill"`` → ``{"robert": ("bob", "rob"), ...}``."""
    table: dict[str, tuple[str, ...]] = {}
    for entry in text.split("|"):
        head, _, tail = entry.partition(":")
        table[head.strip()] = tuple(tail.split())
    return table


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Formal first name → the nicknames people use for it.
NICKNAMES = _table(
    """robert: bob rob bobby robbie bert | william: bill will billy willy |
    elizabeth: liz beth lizzie betty eliza libby | margaret: maggie peggy meg greta |
    richard: rick dick ricky rich | james: jim jimmy jamie | jennifer: jen jenny |
    michael: mike mikey mick | katherine: kate katie kathy kat | catherine: kate katie cathy |
    christopher: chris kit | christine: chris chrissy | alexander: alex sasha sandy |
    alexandra: alex sasha sandra | patricia: pat trish patty | patrick: pat paddy |
    thomas: tom tommy | daniel: dan danny | susan: sue susie | joseph: joe joey |
    anthony: tony | rebecca: becky becca | samantha: sam sammy | samuel: sam sammy |
    nicholas: nick nicky | johannes: hannes | wolfgang: wolf | friedrich: fritz |
    edward: ed eddie ted ned | andrew: andy drew | benjamin: ben benny |
    jonathan: jon jonny | matthew: matt | david: dave davey | charles: charlie chuck |
    steven: steve | stephen: steve | timothy: tim timmy | gregory: greg |
    jeffrey: jeff | kenneth: ken kenny | ronald: ron ronnie | donald: don donnie |
    lawrence: larry | gerald: gerry jerry | peter: pete | philip: phil |
    raymond: ray | vincent: vince | zachary: zach zack | jacob: jake | joshua: josh |
    nathan: nate | nathaniel: nate nat | frederick: fred freddie | albert: al bert |
    alfred: alf fred | henry: hank harry | harold: harry hal | jack: john |
    deborah: deb debbie | dorothy: dot dottie | barbara: barb barbie |
    victoria: vicky tori | jessica: jess jessie | amanda: mandy | kimberly: kim |
    abigail: abby | cynthia: cindy | judith: judy | pamela: pam | theresa: terri tess |
    teresa: terri tess | virginia: ginny | eleanor: ellie nell | helen: nell |
    josephine: jo josie | penelope: penny | isabella: bella izzy | isabel: bella izzy |
    gabriel: gabe | gabrielle: gabby | francis: frank | franklin: frank |
    frances: fran frankie | giuseppe: beppe | francesco: franco | jurgen: jurg |
    maximilian: max | konstantin: kostja | ekaterina: katya | aleksandr: sasha"""
)

# Nickname → every formal name it may stand for (a nickname may be ambiguous: "sam").
FORMAL_NAMES: dict[str, frozenset[str]] = {}
for _formal, _nicks in NICKNAMES.items():
    for _nick in _nicks:
        FORMAL_NAMES[_nick] = FORMAL_NAMES.get(_nick, frozenset()) | {_formal}

HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "dame",
        "lady",
        "lord",
        "rev",
        "herr",
        "frau",
        "fraulein",
        "hr",
        "mme",
        "mlle",
        "sra",
        "srta",
        "dott",
        "ing",
    ]
)
SUFFIXES = frozenset(
    ["jr", "jnr", "sr", "snr", "ii", "iii", "iv", "phd", "md", "dds", "esq", "mba"]
)
# Words that belong to the surname that follows them: "van der berg", "de la cruz".
SURNAME_PARTICLES = frozenset(
    [
        "van",
        "von",
        "der",
        "den",
        "de",
        "del",
        "della",
        "la",
        "le",
        "du",
        "da",
        "dos",
        "das",
        "di",
        "o",
        "ni",
        "mac",
        "mc",
        "st",
        "ter",
        "ten",
        "zu",
        "bin",
        "ibn",
        "al",
        "el",
    ]
)

# Street words → one short form, so "Main Street" and "Main St." compare equal.
STREET_WORDS: dict[str, str] = {
    "street": "st",
    "str": "str",
    "strasse": "str",
    "avenue": "ave",
    "av": "ave",
    "boulevard": "blvd",
    "drive": "dr",
    "lane": "ln",
    "road": "rd",
    "court": "ct",
    "place": "pl",
    "crescent": "cres",
    "circuit": "cct",
    "terrace": "tce",
    "parade": "pde",
    "highway": "hwy",
    "square": "sq",
    "close": "cl",
    "grove": "gr",
    "parkway": "pkwy",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "mount": "mt",
    "saint": "st",
}
# German compounds: "Hauptstraße" / "Hauptstr." / "Hauptstrasse" end the same way.
STREET_SUFFIXES: tuple[tuple[str, str], ...] = (("strasse", "str"), ("str.", "str"))
UNIT_WORDS = frozenset(
    ["apt", "apartment", "unit", "flat", "suite", "ste", "no", "#", "rm", "room"]
)

_US_STATES = """AL alabama|AK alaska|AZ arizona|AR arkansas|CA california|CO colorado|
CT connecticut|DE delaware|DC district of columbia|FL florida|GA georgia|HI hawaii|ID idaho|
IL illinois|IN indiana|IA iowa|KS kansas|KY kentucky|LA louisiana|ME maine|MD maryland|
MA massachusetts|MI michigan|MN minnesota|MS mississippi|MO missouri|MT montana|NE nebraska|
NV nevada|NH new hampshire|NJ new jersey|NM new mexico|NY new york|NC north carolina|
ND north dakota|OH ohio|OK oklahoma|OR oregon|PA pennsylvania|RI rhode island|
SC south carolina|SD south dakota|TN tennessee|TX texas|UT utah|VT vermont|VA virginia|
WA washington|WV west virginia|WI wisconsin|WY wyoming|PR puerto rico"""
_CA_PROVINCES = """AB alberta|BC british columbia|MB manitoba|NB new brunswick|
NL newfoundland and labrador|NS nova scotia|NT northwest territories|NU nunavut|ON ontario|
PE prince edward island|QC quebec|SK saskatchewan|YT yukon"""
_AU_STATES = """NSW new south wales|VIC victoria|QLD queensland|SA south australia|
WA western australia|TAS tasmania|ACT australian capital territory|NT northern territory"""
_DE_STATES = """BW baden-wurttemberg|BY bayern|BE berlin|BB brandenburg|HB bremen|HH hamburg|
HE hessen|MV mecklenburg-vorpommern|NI niedersachsen|NW nordrhein-westfalen|
RP rheinland-pfalz|SL saarland|SN sachsen|ST sachsen-anhalt|SH schleswig-holstein|
TH thuringen"""


def _states(text: str) -> dict[str, str]:
    """Folded state name → code, plus each code (folded) → itself."""
    table: dict[str, str] = {}
    for entry in text.split("|"):
        code, name = entry.strip().split(" ", 1)
        table[name.strip()] = code
        table[code.lower()] = code
    return table


STATES: dict[str, dict[str, str]] = {
    "US": _states(_US_STATES),
    "CA": _states(_CA_PROVINCES) | {"quebec": "QC", "quebec city": "QC"},
    "AU": _states(_AU_STATES),
    "DE": _states(_DE_STATES) | {"bavaria": "BY", "hesse": "HE", "saxony": "SN"},
}

# Folded country names and ISO alpha-3 codes → ISO 3166-1 alpha-2 (alpha-2 codes pass through).
COUNTRIES: dict[str, str] = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "america": "US",
    "canada": "CA",
    "can": "CA",
    "united kingdom": "GB",
    "great britain": "GB",
    "uk": "GB",
    "gbr": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "germany": "DE",
    "deutschland": "DE",
    "deu": "DE",
    "australia": "AU",
    "aus": "AU",
    "france": "FR",
    "fra": "FR",
    "spain": "ES",
    "espana": "ES",
    "esp": "ES",
    "italy": "IT",
    "italia": "IT",
    "ita": "IT",
    "netherlands": "NL",
    "nederland": "NL",
    "nld": "NL",
    "austria": "AT",
    "osterreich": "AT",
    "aut": "AT",
    "switzerland": "CH",
    "schweiz": "CH",
    "che": "CH",
    "ireland": "IE",
    "irl": "IE",
    "mexico": "MX",
    "mex": "MX",
    "japan": "JP",
    "jpn": "JP",
    "new zealand": "NZ",
    "nzl": "NZ",
    "poland": "PL",
    "polska": "PL",
    "pol": "PL",
    "sweden": "SE",
    "sverige": "SE",
    "swe": "SE",
    "belgium": "BE",
    "bel": "BE",
    "india": "IN",
    "ind": "IN",
    "brazil": "BR",
    "brasil": "BR",
    "bra": "BR",
}

# What Amazon Business orders give as the buyer's name and company, whoever bought (the
# business that invoices them): never a buyer's own name or company.
BUSINESSES_OF_RECORD = frozenset(["amazon business eu sarl", "amazon.com services llc"])

# Domains where anyone may open a mailbox: two mailboxes there are not two colleagues. The
# providers with one domain per country are matched by name (``yahoo.co.uk``, ``gmx.de``).
PUBLIC_MAIL_PROVIDERS = _words(
    """yahoo ymail rocketmail hotmail outlook live msn windowslive gmx aol yandex mail email
    inbox web orange free sky"""
)
PUBLIC_MAIL_DOMAINS = _words(
    """gmail.com googlemail.com icloud.com me.com mac.com protonmail.com protonmail.ch
    proton.me pm.me fastmail.com fastmail.fm zoho.com zohomail.com tutanota.com tuta.io
    posteo.de mailbox.org hey.com hushmail.com lycos.com t-online.de freenet.de arcor.de
    qq.com 163.com 126.com sina.com naver.com hanmail.net daum.net seznam.cz wp.pl o2.pl
    onet.pl interia.pl libero.it virgilio.it alice.it tiscali.it tin.it wanadoo.fr
    laposte.net sfr.fr bluewin.ch btinternet.com talktalk.net virginmedia.com ntlworld.com
    comcast.net verizon.net att.net sbcglobal.net bellsouth.net cox.net charter.net
    earthlink.net optonline.net bigpond.com bigpond.net.au optusnet.com.au shaw.ca rogers.com
    sympatico.ca videotron.ca rambler.ru ya.ru rediffmail.com uol.com.br bol.com.br
    terra.com.br telenet.be skynet.be ziggo.nl kpnmail.nl planet.nl home.nl xs4all.nl
    hetnet.nl"""
)
