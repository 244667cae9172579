"""The names of the codes a person reads, Danish and English, in one place: municipalities, target groups, benefits,
situations, reasons and the rest of the vocabulary's closed lists (shared.contracts.vocabulary). A page, a breakdown
or a form asks `name_of(kind, code, lang)`; a code without a name is shown as the code itself.

A name is written as it stands alone, with a capital letter (a row, an option); `inline` gives it as it reads inside a
sentence ("årsag: sygdom"). The figures' names are shared.figure_labels'.
"""

from __future__ import annotations

from typing import Literal

from shared.figure_labels import Lang

Kind = Literal[
    "municipality",
    "target-group",
    "benefit",
    "situation",
    "labour-market-status",
    "education",
    "drop-out-reason",
    "withdrawal-reason",
    "reassignment-reason",
    "correction-reason",
    "age-band",
    "gender",
    "improvement",
    "answer",
    "disadvantage",
    "check",
    "check-closed-reason",
    "erasure-basis",
    "fund",
    "cr04-reading",
    "provider-kind",
    "company-kind",
    "scope",
    "register-finding",
    "register-use",
]
Names = dict[str, tuple[str, str]]  # code: (Danish, English)

# Denmark's 98 municipalities by their kommunekode (Danmarks Statistik, since 2007), region by region: the name is the
# same in both languages.
_MUNICIPALITIES: dict[str, str] = {
    # Region Hovedstaden
    "101": "København",
    "147": "Frederiksberg",
    "151": "Ballerup",
    "153": "Brøndby",
    "155": "Dragør",
    "157": "Gentofte",
    "159": "Gladsaxe",
    "161": "Glostrup",
    "163": "Herlev",
    "165": "Albertslund",
    "167": "Hvidovre",
    "169": "Høje-Taastrup",
    "173": "Lyngby-Taarbæk",
    "175": "Rødovre",
    "183": "Ishøj",
    "185": "Tårnby",
    "187": "Vallensbæk",
    "190": "Furesø",
    "201": "Allerød",
    "210": "Fredensborg",
    "217": "Helsingør",
    "219": "Hillerød",
    "223": "Hørsholm",
    "230": "Rudersdal",
    "240": "Egedal",
    "250": "Frederikssund",
    "260": "Halsnæs",
    "270": "Gribskov",
    "400": "Bornholm",
    # Region Sjælland
    "253": "Greve",
    "259": "Køge",
    "265": "Roskilde",
    "269": "Solrød",
    "306": "Odsherred",
    "316": "Holbæk",
    "320": "Faxe",
    "326": "Kalundborg",
    "329": "Ringsted",
    "330": "Slagelse",
    "336": "Stevns",
    "340": "Sorø",
    "350": "Lejre",
    "360": "Lolland",
    "370": "Næstved",
    "376": "Guldborgsund",
    "390": "Vordingborg",
    # Region Syddanmark
    "410": "Middelfart",
    "420": "Assens",
    "430": "Faaborg-Midtfyn",
    "440": "Kerteminde",
    "450": "Nyborg",
    "461": "Odense",
    "479": "Svendborg",
    "480": "Nordfyns",
    "482": "Langeland",
    "492": "Ærø",
    "510": "Haderslev",
    "530": "Billund",
    "540": "Sønderborg",
    "550": "Tønder",
    "561": "Esbjerg",
    "563": "Fanø",
    "573": "Varde",
    "575": "Vejen",
    "580": "Aabenraa",
    "607": "Fredericia",
    "621": "Kolding",
    "630": "Vejle",
    # Region Midtjylland
    "615": "Horsens",
    "657": "Herning",
    "661": "Holstebro",
    "665": "Lemvig",
    "671": "Struer",
    "706": "Syddjurs",
    "707": "Norddjurs",
    "710": "Favrskov",
    "727": "Odder",
    "730": "Randers",
    "740": "Silkeborg",
    "741": "Samsø",
    "746": "Skanderborg",
    "751": "Aarhus",
    "756": "Ikast-Brande",
    "760": "Ringkøbing-Skjern",
    "766": "Hedensted",
    "779": "Skive",
    "791": "Viborg",
    # Region Nordjylland
    "773": "Morsø",
    "787": "Thisted",
    "810": "Brønderslev",
    "813": "Frederikshavn",
    "820": "Vesthimmerlands",
    "825": "Læsø",
    "840": "Rebild",
    "846": "Mariagerfjord",
    "849": "Jammerbugt",
    "851": "Aalborg",
    "860": "Hjørring",
}
MUNICIPALITIES: Names = {code: (name, name) for code, name in sorted(_MUNICIPALITIES.items())}

# The programmes' target groups (a sub-project's target_groups, a referral's target_group), by Danish name.
TARGET_GROUPS: Names = {
    "deaf-and-hard-of-hearing": ("Døve og hørehæmmede", "Deaf and hard of hearing"),
    "refugees-after-language-course": ("Flygtninge efter danskuddannelse", "Refugees after the Danish course"),
    "early-retirement-pensioners": ("Førtidspensionister", "Early-retirement pensioners"),
    "war-veterans": ("Krigsveteraner", "War veterans"),
    "long-term-unemployed": ("Langtidsledige", "Long-term unemployed"),
    "people-with-disabilities": ("Mennesker med handicap", "People with disabilities"),
    "psychologically-vulnerable": ("Psykisk sårbare", "Psychologically vulnerable"),
    "stress-depression-strain-injuries": (
        "Stress, depression og belastningsskader",
        "Stress, depression and strain injuries",
    ),
    "young-neet": ("Unge uden job og uddannelse", "Young people not in employment or education"),
}
BENEFITS: Names = {
    "kontanthjaelp": ("Kontanthjælp", "Social assistance (kontanthjælp)"),
    "uddannelseshjaelp": ("Uddannelseshjælp", "Education assistance (uddannelseshjælp)"),
    "dagpenge": ("Dagpenge", "Unemployment benefit (dagpenge)"),
    "sygedagpenge": ("Sygedagpenge", "Sickness benefit (sygedagpenge)"),
    "ledighedsydelse": ("Ledighedsydelse", "Flex-job waiting allowance (ledighedsydelse)"),
    "ressourceforloebsydelse": ("Ressourceforløbsydelse", "Resource-programme benefit (ressourceforløbsydelse)"),
    "revalideringsydelse": ("Revalideringsydelse", "Rehabilitation benefit (revalideringsydelse)"),
    "selvforsoergelses-og-hjemrejseydelse": ("Selvforsørgelses- og hjemrejseydelse", "Self-support and return benefit"),
    "overgangsydelse": ("Overgangsydelse", "Transition benefit (overgangsydelse)"),
    "su": ("SU", "Student grant (SU)"),
    "foertidspension": ("Førtidspension", "Disability pension (førtidspension)"),
    "none": ("Ingen ydelse", "No benefit"),
    "unknown": ("Ukendt", "Unknown"),
}
# Upon leaving (Situation, SituationV1) and six months after (SixMonthSituation).
SITUATIONS: Names = {
    "ordinary-employment": ("Ordinær beskæftigelse", "Ordinary employment"),
    "social-economy-employment": ("Job i socialøkonomisk virksomhed", "Social-economy job"),
    "flex-job": ("Fleksjob", "Flex-job"),
    "wage-subsidy-job": ("Løntilskud", "Wage-subsidy job"),
    "self-employed": ("Selvstændig", "Self-employed"),
    "education": ("Uddannelse", "Education"),
    "job-seeking": ("Jobsøgende", "Job-seeking"),
    "inactive": ("Uden for arbejdsstyrken", "Inactive"),
    "pension": ("Pension", "Pension"),
    "unknown": ("Ukendt", "Unknown"),
    "unreachable": ("Kunne ikke kontaktes", "Could not be reached"),
}
LABOUR_MARKET_STATUSES: Names = {
    "employed": ("I beskæftigelse", "Employed"),
    "self-employed": ("Selvstændig", "Self-employed"),
    "unemployed": ("Ledig", "Unemployed"),
    "long-term-unemployed": ("Langtidsledig", "Long-term unemployed"),  # v2's
    "inactive": ("Uden for arbejdsstyrken", "Inactive"),
    "inactive-not-in-education": ("Uden for arbejdsstyrken og ikke i uddannelse", "Inactive, not in education"),
}
EDUCATION_LEVELS: Names = {
    "isced-0-2": ("Grundskole (ISCED 0-2)", "Primary or lower secondary (ISCED 0-2)"),
    "isced-3-4": ("Gymnasial eller erhvervsfaglig uddannelse (ISCED 3-4)", "Upper secondary or vocational (ISCED 3-4)"),
    "isced-5-8": ("Videregående uddannelse (ISCED 5-8)", "Tertiary (ISCED 5-8)"),
    "unknown": ("Ukendt", "Unknown"),
}
_LEAVING_REASONS: Names = {
    "job": ("Job", "Job"),
    "education": ("Uddannelse", "Education"),
    "illness": ("Sygdom", "Illness"),
    "moved": ("Flyttet", "Moved"),
    "no-show": ("Mødte ikke op", "No show"),
}
DROP_OUT_REASONS: Names = {
    **_LEAVING_REASONS,
    "personal": ("Personlige forhold", "Personal reasons"),  # v1's
    "other": ("Andet", "Other"),
}
WITHDRAWAL_REASONS: Names = {"declined": ("Takkede nej", "Declined"), **_LEAVING_REASONS, "other": ("Andet", "Other")}
REASSIGNMENT_REASONS: Names = {
    "caseworker-left": ("Sagsbehandleren er stoppet", "The caseworker left"),
    "leave-of-absence": ("Orlov eller fravær", "Leave or absence"),
    "workload": ("Fordeling af arbejdsbyrden", "Sharing the workload"),
    "specialisation": ("Specialisering", "Specialisation"),
    "conflict-of-interest": ("Inhabilitet", "Conflict of interest"),
    "citizen-request": ("Borgerens ønske", "The citizen's request"),
    "other": ("Andet", "Other"),
}
CORRECTION_REASONS: Names = {
    "entered-wrong": ("Indtastet forkert", "Entered wrongly"),
    "new-information": ("Nye oplysninger", "New information"),
    "other": ("Andet", "Other"),
}
# The fund's age bands at entry: ESF 2014-20's, then ESF+'s.
AGE_BANDS: Names = {
    "under-25": ("Under 25 år", "Below 25"),
    "25-54": ("25-54 år", "Aged 25-54"),
    "over-54": ("Over 54 år", "Above 54"),
    "under-18": ("Under 18 år", "Below 18"),
    "18-29": ("18-29 år", "Aged 18-29"),
    "30-54": ("30-54 år", "Aged 30-54"),
    "55-and-over": ("55 år og derover", "55 and above"),
}
GENDERS: Names = {"female": ("Kvinde", "Female"), "male": ("Mand", "Male"), "non-binary": ("Nonbinær", "Non-binary")}
IMPROVEMENTS: Names = {
    "precarious-to-stable": ("Fra usikker til stabil beskæftigelse", "From precarious to stable employment"),
    "under-employment-to-full-employment": ("Fra deltid til fuld tid", "From under-employment to full employment"),
    "higher-skills-job": ("Job, der kræver flere kvalifikationer", "A job needing higher skills"),
    "promotion": ("Forfremmelse", "Promotion"),
    "none": ("Ingen", "None"),
}
ANSWERS: Names = {
    "yes": ("Ja", "Yes"),
    "no": ("Nej", "No"),
    "refused": ("Ønsker ikke at svare", "Refused to say"),
    "not-asked": ("Ikke spurgt", "Not asked"),
}
DISADVANTAGES: Names = {
    "disability": ("Handicap", "Disability"),
    "migrant-or-minority": ("Migrant eller minoritet", "Migrant or minority"),
    "other-disadvantage": ("Andre ugunstigt stillede forhold", "Other disadvantage"),
}
CHECKS: Names = {
    "leaving-outcome": ("Situationen ved afslutning", "The situation upon leaving"),
    "six-month": ("Resultatet efter seks måneder", "The result six months after"),
}
CHECK_CLOSED_REASONS: Names = {
    "recorded": ("Registreret", "Recorded"),
    "register-observed": ("Afgjort af registeret", "Decided by the register"),
    "lapsed": ("Fristen for at tælle med udløb", "The deadline to count passed"),
    "left-again": ("Afsluttet igen", "Left again"),
    "re-enrolled": ("Optaget igen", "Enrolled again"),
    "withdrawn": ("Udmeldt", "Withdrawn"),
    "erased": ("Slettet", "Erased"),
}
ERASURE_BASES: Names = {
    "request": ("Anmodning", "Request"),
    "consent-withdrawn": ("Samtykke trukket tilbage", "Consent withdrawn"),
    "retention": ("Opbevaringsperioden udløb", "The retention period ended"),
}
FUNDS: Names = {
    "esf-2014-2020": ("Socialfonden 2014\u20132020", "European Social Fund 2014\u20132020"),
    "esf-plus-2021-2027": ("Socialfonden Plus 2021\u20132027", "European Social Fund Plus 2021\u20132027"),
}
CR04_READINGS: Names = {
    "every-participant": ("Alle deltagere", "Every participant"),
    "not-employed-at-entry": ("Deltagere uden job ved start", "Participants not employed at entry"),
}
PROVIDER_KINDS: Names = {
    "municipality": ("Kommune", "Municipality"),
    "ngo": ("Frivillig organisation", "Voluntary organisation"),
}
COMPANY_KINDS: Names = {
    "commercial": ("Privat virksomhed", "Commercial company"),
    "social-economy": ("Socialøkonomisk virksomhed", "Social-economy company"),
}
SCOPES: Names = {"local": ("Lokal", "Local"), "regional": ("Regional", "Regional")}
REGISTER_USES: Names = {
    "verify": ("Vises ved siden af sagsbehandlerens registrering", "Shown beside the caseworker's record"),
    "decide": ("Tæller og lukker opfølgningen", "Counts and closes the follow-up"),
    "off": ("Bruges ikke", "Not used"),
}
# What a register (DREAM) shows around a six-month date; the codes shared with SITUATIONS have the same words.
REGISTER_FINDINGS: Names = {
    "employed": ("I beskæftigelse", "Employed"),
    "self-supporting": ("Selvforsørgende uden registreret løn", "Self-supporting, no wages recorded"),
    "flex-job": SITUATIONS["flex-job"],
    "wage-subsidy-job": SITUATIONS["wage-subsidy-job"],
    "education": SITUATIONS["education"],
    "job-seeking": SITUATIONS["job-seeking"],
    "sickness-benefit": ("Sygedagpenge", "Sickness benefit"),
    "disability-pension": ("Førtidspension", "Disability pension"),
    "other-benefit": ("Anden offentlig ydelse", "Another public benefit"),
    "retired": ("Efterløn eller pension", "Early retirement or pension"),
    "left-the-register": ("Ude af registeret", "Out of the register"),
}

NAMES: dict[str, Names] = {
    "municipality": MUNICIPALITIES,
    "target-group": TARGET_GROUPS,
    "benefit": BENEFITS,
    "situation": SITUATIONS,
    "labour-market-status": LABOUR_MARKET_STATUSES,
    "education": EDUCATION_LEVELS,
    "drop-out-reason": DROP_OUT_REASONS,
    "withdrawal-reason": WITHDRAWAL_REASONS,
    "reassignment-reason": REASSIGNMENT_REASONS,
    "correction-reason": CORRECTION_REASONS,
    "age-band": AGE_BANDS,
    "gender": GENDERS,
    "improvement": IMPROVEMENTS,
    "answer": ANSWERS,
    "disadvantage": DISADVANTAGES,
    "check": CHECKS,
    "check-closed-reason": CHECK_CLOSED_REASONS,
    "erasure-basis": ERASURE_BASES,
    "fund": FUNDS,
    "cr04-reading": CR04_READINGS,
    "provider-kind": PROVIDER_KINDS,
    "company-kind": COMPANY_KINDS,
    "scope": SCOPES,
    "register-finding": REGISTER_FINDINGS,
    "register-use": REGISTER_USES,
}


def name_of(kind: str, code: object, lang: str) -> str:
    """A code's name in Danish ("da") or English ("en"); the code itself when the kind or the code has none."""
    text = "" if code is None else str(code)
    found = NAMES.get(kind, {}).get(text)
    if found is None:
        return text
    return found[1] if lang == "en" else found[0]


def names_of(kind: Kind, lang: Lang) -> dict[str, str]:
    """Every code of a kind with its name in one language, in the table's order."""
    index = 1 if lang == "en" else 0
    return {code: names[index] for code, names in NAMES[kind].items()}


def municipality_label(code: object, lang: str = "da") -> str:
    """A municipality as a person reads it, its name and code: "Aarhus (751)"; an unknown code as it is."""
    text = "" if code is None else str(code)
    name = name_of("municipality", text, lang)
    return text if name == text else f"{name} ({text})"


def inline(name: str) -> str:
    """A name as it reads inside a sentence: its capital lowered unless the next letter is one too (SU, ISCED)."""
    if len(name) > 1 and name[0].isupper() and not name[1].isupper():
        return name[0].lower() + name[1:]
    return name
