"""Synthetic customer population with true duplicates and hard negatives, for the matching benchmark.

Deterministic for a seed. Each person (entity) has one base record; some get 1-2 duplicate records derived from
the base with realistic errors (rates in `DUPLICATE_RATES`, measured ones in `Population.error_counts`). Hard
negatives are separate entities: twins (same surname, birth date, address, often the phone), family members
(same address and surname, shared home phone, sometimes a shared family e-mail) and naturally common names.
All data is fake; the national ids have valid check digits, the phone numbers are valid for libphonenumber.
"""

from __future__ import annotations

import random
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import phonenumbers

from crs.domain.identity.normalize import Address, cn_check_char, isikukood_check_digit


def _words(text: str) -> list[str]:
    return text.split()


DUPLICATE_RATES: dict[str, float] = {
    # per entity
    "any_duplicate": 0.30,  # of which two_duplicates get two
    "two_duplicates": 0.08,
    "twin": 0.02,
    "family_member": 0.12,
    "family_shares_email": 0.10,  # of family members
    "family_shares_phone": 0.60,  # of family members
    "twin_shares_phone": 0.50,
    # per duplicate record
    "name_typo": 0.15,  # one insert / delete / substitute / transpose in one name token
    "nickname": 0.40,  # of English given names that have a short form
    "cn_name_order_swapped": 0.20,  # of Chinese pinyin names
    "ee_diacritics_dropped": 0.30,  # of Estonian names with diacritics
    "dob_missing": 0.05,
    "dob_swapped_day_month": 0.04,  # only where day <= 12 and day != month
    "dob_other_error": 0.03,  # year +-1 or one day digit
    "email_missing": 0.25,
    "email_gmail_variant": 0.50,  # of gmail addresses present: dots moved or +tag added
    "email_other_provider": 0.10,  # same local part, another provider
    "email_new": 0.15,  # unrelated new address
    "phone_missing": 0.25,
    "phone_new": 0.12,
    "national_id_missing": 0.35,
    "national_id_typo": 0.05,  # one digit substituted or two adjacent digits transposed
    "address_missing": 0.20,
    "address_moved": 0.08,
    "address_typo": 0.05,
}

EN_GIVEN = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew Anthony "
    "Andrew Stephen Edward Samuel Benjamin Alexander Henry George Oliver Jack Harry Mary Patricia Jennifer Linda "
    "Elizabeth Barbara Susan Jessica Sarah Karen Margaret Katherine Emily Rebecca Victoria Abigail Eleanor Olivia "
    "Sophie Charlotte"
)
EN_SURNAMES = _words(
    "Smith Johnson Williams Brown Jones Miller Davis Wilson Taylor Anderson Thomas Moore Jackson White Harris "
    "Martin Thompson Clark Lewis Walker Hall Allen Young King Wright Scott Green Baker Adams Campbell Evans Roberts "
    "Turner Phillips Parker Edwards Collins Stewart Morris Murphy Cook Rogers Morgan Cooper Bell Ward Watson Hughes "
    "Price Bennett"
)
# The benchmark's own short-form table (deliberately not the matcher's: 'trish', 'tori', 'mandy' are unknown there).
EN_SHORT = {
    "robert": ["Bob", "Rob"],
    "william": ["Bill", "Will"],
    "elizabeth": ["Liz", "Beth"],
    "james": ["Jim", "Jimmy"],
    "michael": ["Mike"],
    "katherine": ["Kate", "Kathy"],
    "thomas": ["Tom"],
    "david": ["Dave"],
    "christopher": ["Chris"],
    "alexander": ["Alex"],
    "samuel": ["Sam"],
    "benjamin": ["Ben"],
    "daniel": ["Dan"],
    "joseph": ["Joe"],
    "jennifer": ["Jen", "Jenny"],
    "andrew": ["Andy"],
    "matthew": ["Matt"],
    "stephen": ["Steve"],
    "edward": ["Ed", "Ted"],
    "margaret": ["Maggie", "Peggy"],
    "susan": ["Sue"],
    "patricia": ["Pat", "Trish"],
    "john": ["Jack", "Johnny"],
    "richard": ["Rick"],
    "anthony": ["Tony"],
    "rebecca": ["Becky"],
    "victoria": ["Vicky", "Tori"],
    "charles": ["Charlie"],
    "henry": ["Harry"],
    "abigail": ["Abby"],
    "barbara": ["Barb"],
    "jessica": ["Jess"],
}
EE_GIVEN_M = _words(
    "Jüri Jaan Andres Tõnu Toomas Mati Peeter Rein Aivar Margus Urmas Mart Priit Tarmo Kristjan Rasmus Martin "
    "Sander Karl Oliver Markus Siim Kaspar Henri Mihkel"
)
EE_GIVEN_F = _words(
    "Mari Kadri Tiina Anne Katrin Liis Kristiina Maarja Triin Kerli Helen Piret Ene Reet Sirje Eha Laura Sofia "
    "Emma Mia Hanna Grete Elisabeth Marju Ülle"
)
EE_SURNAMES = _words(
    "Tamm Saar Sepp Mägi Kask Kukk Rebane Ilves Pärn Koppel Lepik Kuusk Karu Ots Kõiv Lill Oja Vaher Luik Kaasik "
    "Raudsepp Teder Kivi Põder Mets Kallas Laur Jõgi Kuusik Mänd Sild Rätsep Kuus Unt Liiv Parts Aavik Allik Toom "
    "Nõmm"
)
CN_SURNAMES = _words(
    "Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Gao Lin Luo Zheng Liang Xie Song Tang"
)
CN_HANZI_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
CN_GIVEN = _words(
    "Wei Fang Na Min Jing Li Qiang Lei Jun Yang Yong Yan Jie Juan Tao Ming Chao Xiuying Xia Ping Gang Hui Xiaoming "
    "Haoran Zihan Yuxuan Jiahui Xinyi Yuting Zhiwei Jianguo Guoqiang Lihua Meiling Dandan"
)
CN_HANZI_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英霞平刚辉华玲国志"
CN_REGIONS = _words("110101 110105 310104 310115 440106 440305 510107 330106 320102 420106 500103 210102")

EE_STREETS = _words(
    "Pärnu Tartu Narva Pirita Sõpruse Tammsaare Lastekodu Vabriku Pikk Lai Vene Mere Ravala Kaupmehe Rüütli Riia "
    "Kalda Telliskivi Kopli Paldiski Endla Toompuiestee Vilde Akadeemia"
)
EE_TYPES = [("tänav", "tn"), ("maantee", "mnt"), ("puiestee", "pst")]
EE_CITIES = [("Tallinn", "1"), ("Tartu", "5"), ("Pärnu", "8"), ("Narva", "2"), ("Viljandi", "7"), ("Rakvere", "4")]
CN_STREETS = _words("Jianguo Renmin Zhongshan Jiefang Heping Changan Nanjing Huaihai Xinhua Yanan Beijing Dongfeng")
CN_TYPES = [("Road", "Rd"), ("Lu", "Road"), ("Street", "Jie"), ("Avenue", "Ave")]
CN_CITIES = [("Beijing", "10"), ("Shanghai", "20"), ("Guangzhou", "51"), ("Shenzhen", "51"), ("Chengdu", "61")]
EN_STREETS = _words("High Station Main Park Church Victoria Green Manor Mill Kings Queens London York Oak Elm Maple")
EN_TYPES = [("Street", "St"), ("Road", "Rd"), ("Avenue", "Ave"), ("Lane", "Ln"), ("Drive", "Dr")]
GB_CITIES = ["London", "Manchester", "Leeds", "Bristol", "Birmingham", "Glasgow"]
US_CITIES = ["Springfield", "Austin", "Boston", "Denver", "Seattle", "Portland"]
US_AREA = ["212", "312", "415", "617", "202", "305", "404", "512", "206", "303"]

PROVIDERS = {
    "EE": ["gmail.com", "hot.ee", "mail.ee", "outlook.com", "yahoo.com"],
    "CN": ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com"],
    "GB": ["gmail.com", "yahoo.co.uk", "outlook.com", "hotmail.com", "icloud.com", "btinternet.com"],
    "US": ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com"],
}


@dataclass(slots=True)
class AddressParts:
    """An address kept in parts so that duplicates can be re-rendered with other abbreviations."""

    locale: str
    number: int
    street: str
    street_type: tuple[str, str]
    apt: int | None
    city: str
    postal: str

    def render(self, rng: random.Random, *, variant: bool) -> Address:
        long_t, short_t = self.street_type
        st = (short_t if rng.random() < 0.5 else long_t) if variant else long_t
        if variant and rng.random() < 0.3:
            st += "."
        if self.locale == "EE":
            apt = (
                ""
                if self.apt is None
                else (f"-{self.apt}" if not variant or rng.random() < 0.5 else f", korter {self.apt}")
            )
            line = f"{self.street} {st} {self.number}{apt}"
            postal = self.postal
        elif self.locale == "CN":
            apt = (
                ""
                if self.apt is None
                else (f", Apt {self.apt}" if not variant or rng.random() < 0.5 else f" #{self.apt}")
            )
            line = f"{self.number} {self.street} {st}{apt}"
            postal = self.postal
        else:
            apt = (
                ""
                if self.apt is None
                else (f"Flat {self.apt}, " if not variant or rng.random() < 0.5 else f"Apartment {self.apt}, ")
            )
            line = f"{apt}{self.number} {self.street} {st}"
            postal = self.postal.replace(" ", "") if variant and rng.random() < 0.5 else self.postal
        if variant and rng.random() < 0.3:
            line = line.upper()
        country = {"EE": "EE", "CN": "CN", "GB": "GB", "US": "US"}[self.locale]
        return Address((line,), self.city, postal, country)


@dataclass(slots=True)
class Person:
    entity: int
    locale: str  # EE, CN, GB, US
    given: str
    surname: str
    female: bool
    hanzi: str | None
    dob: date
    national_id: str | None  # CC:TYPE:VALUE
    email: str | None
    phone: str | None  # E.164 digits with +
    address: AddressParts | None
    household: int
    relation: str = "self"  # self, twin, family


@dataclass(slots=True)
class SourceRecord:
    record_id: int
    entity: int
    household: int
    locale: str
    name: str | None
    dob: str | None
    emails: list[str]
    phones: list[str]
    national_ids: list[str]
    addresses: list[Address]
    default_region: str
    errors: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Population:
    records: list[SourceRecord]
    twins: set[frozenset[int]]  # entity pairs
    family: set[frozenset[int]]
    error_counts: Counter[str]
    duplicate_records: int


def _zipf_choice(rng: random.Random, items: list[str], s: float = 0.9) -> str:
    weights = [1.0 / (i + 1) ** s for i in range(len(items))]
    return rng.choices(items, weights)[0]


def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_emails: set[str] = set()
        self.used_nids: set[str] = set()
        self.used_phones: set[str] = set()
        self.errors: Counter[str] = Counter()

    # --- identifiers ------------------------------------------------------------------------------------------

    def dob(self) -> date:
        return date(1940, 1, 1) + timedelta(days=self.rng.randrange(365 * 66))

    def isikukood(self, dob: date, female: bool, serial: int | None = None) -> str:
        g = (3 if dob.year < 2000 else 5) + (1 if female else 0)
        serial = self.rng.randrange(1000) if serial is None else serial % 1000
        first10 = f"{g}{dob:%y%m%d}{serial:03d}"
        return f"EE:ISIKUKOOD:{first10}{isikukood_check_digit(first10)}"

    def cn_id(self, dob: date, female: bool, region: str | None = None, seq: int | None = None) -> str:
        region = region or self.rng.choice(CN_REGIONS)
        seq = self.rng.randrange(500) if seq is None else seq % 500
        seq3 = seq * 2 + (0 if female else 1)
        first17 = f"{region}{dob:%Y%m%d}{seq3:03d}"
        return f"CN:RESIDENT:{first17}{cn_check_char(first17)}"

    def national_id(self, p: Person) -> str | None:
        rng = self.rng
        for _ in range(20):
            if p.locale == "EE":
                nid = self.isikukood(p.dob, p.female) if rng.random() < 0.85 else None
            elif p.locale == "CN":
                nid = self.cn_id(p.dob, p.female) if rng.random() < 0.85 else None
            elif p.locale == "GB":
                if rng.random() >= 0.5:
                    return None
                letters = "".join(rng.choice("ABCEGHJKLMNPRSTWXYZ") for _ in range(2))
                nid = f"GB:NINO:{letters}{rng.randrange(10**6):06d}{rng.choice('ABCD')}"
            else:
                if rng.random() >= 0.6:
                    return None
                nid = f"US:SSN:{rng.randrange(1, 900):03d}{rng.randrange(1, 100):02d}{rng.randrange(1, 10000):04d}"
            if nid is None or nid not in self.used_nids:
                if nid:
                    self.used_nids.add(nid)
                return nid
        return None

    def phone(self, locale: str) -> str:
        rng = self.rng
        while True:
            if locale == "EE":
                raw = f"+3725{rng.randrange(10**6, 10**7)}"
            elif locale == "CN":
                raw = f"+861{rng.choice('3456789')}{rng.randrange(10**9):09d}"
            elif locale == "GB":
                raw = f"+447{rng.choice('45789')}{rng.randrange(10**8):08d}"
            else:
                raw = f"+1{rng.choice(US_AREA)}{rng.randrange(200, 1000)}{rng.randrange(10**4):04d}"
            if raw in self.used_phones:
                continue
            if phonenumbers.is_valid_number(phonenumbers.parse(raw, None)):
                self.used_phones.add(raw)
                return raw

    def render_phone(self, e164: str, locale: str, *, variant: bool) -> str:
        """The number as a person would type it: international or national, with spaces or dashes."""
        parsed = phonenumbers.parse(e164, None)
        if not variant:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        choice = self.rng.randrange(4)
        if choice == 0:
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        if choice == 1:
            return e164
        if choice == 2:
            return "00" + e164[1:]
        return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL).replace(" ", "-")

    def email(self, given: str, surname: str, locale: str) -> str:
        rng = self.rng
        g, s = _ascii(given).lower(), _ascii(surname).lower()
        patterns = [f"{g}.{s}", f"{g}{s}", f"{g[0]}.{s}", f"{g}_{s}", f"{s}.{g}", f"{g}{rng.randrange(100)}"]
        while True:
            local = rng.choice(patterns)
            if rng.random() < 0.3:
                local += str(rng.randrange(1950, 2010))
            addr = f"{local}@{rng.choice(PROVIDERS[locale])}"
            if addr not in self.used_emails:
                self.used_emails.add(addr)
                return addr
            patterns.append(f"{g}.{s}{rng.randrange(1000)}")

    def address(self, locale: str) -> AddressParts:
        rng = self.rng
        apt = rng.randrange(1, 200) if rng.random() < 0.5 else None
        if locale == "EE":
            city, prefix = rng.choice(EE_CITIES)
            return AddressParts(
                "EE",
                rng.randrange(1, 150),
                rng.choice(EE_STREETS),
                rng.choice(EE_TYPES),
                apt,
                city,
                f"{prefix}{rng.randrange(10000):04d}",
            )
        if locale == "CN":
            city, prefix = rng.choice(CN_CITIES)
            return AddressParts(
                "CN",
                rng.randrange(1, 500),
                rng.choice(CN_STREETS),
                rng.choice(CN_TYPES),
                apt,
                city,
                f"{prefix}{rng.randrange(10000):04d}",
            )
        if locale == "GB":
            up = string.ascii_uppercase
            outward = f"{rng.choice(up)}{rng.choice(up)}{rng.randrange(1, 20)}"
            postal = f"{outward} {rng.randrange(10)}{rng.choice(up)}{rng.choice(up)}"
            return AddressParts(
                "GB",
                rng.randrange(1, 300),
                rng.choice(EN_STREETS),
                rng.choice(EN_TYPES),
                apt,
                rng.choice(GB_CITIES),
                postal,
            )
        return AddressParts(
            "US",
            rng.randrange(1, 3000),
            rng.choice(EN_STREETS),
            rng.choice(EN_TYPES),
            apt,
            rng.choice(US_CITIES),
            f"{rng.randrange(10000, 99999)}",
        )

    # --- people -----------------------------------------------------------------------------------------------

    def given_name(self, locale: str, female: bool) -> str:
        if locale == "EE":
            return _zipf_choice(self.rng, EE_GIVEN_F if female else EE_GIVEN_M)
        if locale == "CN":
            return _zipf_choice(self.rng, CN_GIVEN)
        pool = EN_GIVEN[25:] if female else EN_GIVEN[:25]
        return _zipf_choice(self.rng, pool)

    def person(self, entity: int) -> Person:
        rng = self.rng
        locale = rng.choices(["EE", "CN", "GB", "US"], [0.35, 0.30, 0.20, 0.15])[0]
        female = rng.random() < 0.5
        surname = _zipf_choice(rng, {"EE": EE_SURNAMES, "CN": CN_SURNAMES}.get(locale, EN_SURNAMES))
        given = self.given_name(locale, female)
        hanzi = None
        if locale == "CN" and rng.random() < 0.15:
            hanzi = CN_HANZI_SURNAMES[CN_SURNAMES.index(surname)] + "".join(
                rng.choice(CN_HANZI_GIVEN) for _ in range(rng.choice((1, 2)))
            )
        p = Person(entity, locale, given, surname, female, hanzi, self.dob(), None, None, None, None, household=entity)
        p.national_id = self.national_id(p)
        p.email = self.email(given, surname, locale) if rng.random() < 0.90 else None
        p.phone = self.phone(locale) if rng.random() < 0.85 else None
        p.address = self.address(locale) if rng.random() < 0.85 else None
        return p

    def twin(self, base: Person, entity: int) -> Person:
        rng = self.rng
        female = base.female if rng.random() < 0.5 else not base.female
        given = base.given
        while given == base.given:
            given = self.given_name(base.locale, female)
        t = replace(base, entity=entity, given=given, female=female, relation="twin")
        if base.hanzi:
            t.hanzi = base.hanzi[0] + "".join(rng.choice(CN_HANZI_GIVEN) for _ in range(len(base.hanzi) - 1))
        if base.national_id and base.locale == "EE":
            serial = int(base.national_id[-4:-1]) + 1
            t.national_id = self.isikukood(base.dob, female, serial)
        elif base.national_id and base.locale == "CN":
            value = base.national_id.rpartition(":")[2]
            t.national_id = self.cn_id(base.dob, female, value[:6], int(value[14:17]) // 2 + 1)
        else:
            t.national_id = self.national_id(t)
        t.email = self.email(given, base.surname, base.locale) if rng.random() < 0.9 else None
        if rng.random() >= DUPLICATE_RATES["twin_shares_phone"] or base.phone is None:
            t.phone = self.phone(base.locale) if rng.random() < 0.85 else None
        return t

    def family_member(self, base: Person, entity: int) -> Person:
        rng = self.rng
        female = rng.random() < 0.5
        given = base.given
        while given == base.given:
            given = self.given_name(base.locale, female)
        if rng.random() < 0.5:  # spouse
            dob = base.dob + timedelta(days=rng.randrange(-365 * 6, 365 * 6))
        else:  # parent or child
            dob = base.dob + timedelta(days=rng.choice((-1, 1)) * rng.randrange(365 * 20, 365 * 35))
        dob = min(max(dob, date(1920, 1, 1)), date(2010, 12, 31))
        surname = (
            base.surname
            if rng.random() < 0.7
            else _zipf_choice(rng, {"EE": EE_SURNAMES, "CN": CN_SURNAMES}.get(base.locale, EN_SURNAMES))
        )
        f = replace(base, entity=entity, given=given, surname=surname, female=female, dob=dob, relation="family")
        f.hanzi = None
        f.national_id = self.national_id(f)
        f.email = self.email(given, surname, base.locale) if rng.random() < 0.9 else None
        if base.email and rng.random() < DUPLICATE_RATES["family_shares_email"]:
            f.email = base.email
        if rng.random() >= DUPLICATE_RATES["family_shares_phone"] or base.phone is None:
            f.phone = self.phone(base.locale) if rng.random() < 0.85 else None
        return f

    # --- records ----------------------------------------------------------------------------------------------

    def display_name(self, p: Person) -> str:
        if p.hanzi:
            return p.hanzi
        if p.locale == "CN":
            return f"{p.surname} {p.given}" if self.rng.random() < 0.5 else f"{p.given} {p.surname}"
        return f"{p.given} {p.surname}"

    def base_record(self, p: Person, rid: int) -> SourceRecord:
        rng = self.rng
        name = self.display_name(p)
        return SourceRecord(
            record_id=rid,
            entity=p.entity,
            household=p.household,
            locale=p.locale,
            name=name,
            dob=p.dob.isoformat(),
            emails=[p.email] if p.email else [],
            phones=[self.render_phone(p.phone, p.locale, variant=False)] if p.phone else [],
            national_ids=[p.national_id] if p.national_id else [],
            addresses=[p.address.render(rng, variant=False)] if p.address else [],
            default_region=p.locale,
        )

    def _err(self, rec: SourceRecord, tag: str) -> None:
        rec.errors.append(tag)
        self.errors[tag] += 1

    def typo(self, s: str) -> str:
        rng = self.rng
        if len(s) < 2:
            return s + rng.choice(string.ascii_lowercase)
        i = rng.randrange(len(s))
        op = rng.randrange(4)
        letter = rng.choice(string.ascii_lowercase)
        if op == 0:
            return s[:i] + letter + s[i:]
        if op == 1:
            return s[:i] + s[i + 1 :]
        if op == 2:
            return s[:i] + letter + s[i + 1 :]
        i = min(i, len(s) - 2)
        return s[:i] + s[i + 1] + s[i] + s[i + 2 :]

    def duplicate_name(self, p: Person, rec: SourceRecord) -> str:
        rng = self.rng
        if p.hanzi:
            if rng.random() < DUPLICATE_RATES["name_typo"]:
                self._err(rec, "name_typo")
                i = rng.randrange(1, len(p.hanzi))
                return p.hanzi[:i] + rng.choice(CN_HANZI_GIVEN) + p.hanzi[i + 1 :]
            return p.hanzi
        given, surname = p.given, p.surname
        shorts = EN_SHORT.get(given.lower())
        if shorts and rng.random() < DUPLICATE_RATES["nickname"]:
            given = rng.choice(shorts)
            self._err(rec, "nickname")
        has_diacritics = p.locale == "EE" and _ascii(given + surname) != given + surname
        if has_diacritics and rng.random() < DUPLICATE_RATES["ee_diacritics_dropped"]:
            given, surname = _ascii(given), _ascii(surname)
            self._err(rec, "ee_diacritics_dropped")
        if rng.random() < DUPLICATE_RATES["name_typo"]:
            self._err(rec, "name_typo")
            if rng.random() < 0.5:
                given = self.typo(given)
            else:
                surname = self.typo(surname)
        if p.locale == "CN":
            if rng.random() < DUPLICATE_RATES["cn_name_order_swapped"]:
                self._err(rec, "cn_name_order_swapped")
                return f"{surname} {given}" if rng.random() < 0.5 else f"{given} {surname}"
            return rec.name or f"{given} {surname}"
        if rng.random() < 0.1:
            return f"{given.upper()} {surname.upper()}"
        return f"{given} {surname}"

    def duplicate_dob(self, p: Person, rec: SourceRecord) -> str | None:
        rng = self.rng
        d = p.dob
        r = rng.random()
        if r < DUPLICATE_RATES["dob_missing"]:
            self._err(rec, "dob_missing")
            return None
        r = rng.random()
        if r < DUPLICATE_RATES["dob_swapped_day_month"] and d.day <= 12 and d.day != d.month:
            self._err(rec, "dob_swapped_day_month")
            return date(d.year, d.day, d.month).isoformat()
        if rng.random() < DUPLICATE_RATES["dob_other_error"]:
            self._err(rec, "dob_other_error")
            if rng.random() < 0.5:
                # Only 29 Feb needs clamping (fixed: clamping every day > 28 made a second, day error).
                day = 28 if (d.month, d.day) == (2, 29) else d.day
                return date(d.year + rng.choice((-1, 1)), d.month, day).isoformat()
            day = d.day + rng.choice((-1, 1)) if 1 < d.day < 28 else 15
            return date(d.year, d.month, day).isoformat()
        return d.isoformat()

    def duplicate_email(self, p: Person, rec: SourceRecord) -> list[str]:
        rng = self.rng
        if p.email is None or rng.random() < DUPLICATE_RATES["email_missing"]:
            if p.email is not None:
                self._err(rec, "email_missing")
            return []
        local, _, domain = p.email.partition("@")
        if rng.random() < DUPLICATE_RATES["email_new"]:
            self._err(rec, "email_new")
            return [self.email(p.given, p.surname, p.locale)]
        if rng.random() < DUPLICATE_RATES["email_other_provider"]:
            self._err(rec, "email_other_provider")
            others = [d for d in PROVIDERS[p.locale] if d != domain]
            return [f"{local}@{rng.choice(others)}"]
        if domain == "gmail.com" and rng.random() < DUPLICATE_RATES["email_gmail_variant"]:
            self._err(rec, "email_gmail_variant")
            bare = local.replace(".", "")
            if rng.random() < 0.5 and len(bare) > 2:
                i = rng.randrange(1, len(bare) - 1)
                return [
                    f"{bare[:i]}.{bare[i:]}@googlemail.com"
                    if rng.random() < 0.2
                    else f"{bare[:i]}.{bare[i:]}@gmail.com"
                ]
            return [f"{local}+{rng.choice(['shop', 'news', 'bank', 'x'])}@gmail.com"]
        return [p.email.upper() if rng.random() < 0.05 else p.email]

    def duplicate_phone(self, p: Person, rec: SourceRecord) -> list[str]:
        rng = self.rng
        if p.phone is None:
            return []
        if rng.random() < DUPLICATE_RATES["phone_missing"]:
            self._err(rec, "phone_missing")
            return []
        if rng.random() < DUPLICATE_RATES["phone_new"]:
            self._err(rec, "phone_new")
            return [self.render_phone(self.phone(p.locale), p.locale, variant=True)]
        return [self.render_phone(p.phone, p.locale, variant=True)]

    def duplicate_national_id(self, p: Person, rec: SourceRecord) -> list[str]:
        rng = self.rng
        if p.national_id is None:
            return []
        if rng.random() < DUPLICATE_RATES["national_id_missing"]:
            self._err(rec, "national_id_missing")
            return []
        country, id_type, value = p.national_id.split(":")
        if rng.random() < DUPLICATE_RATES["national_id_typo"]:
            self._err(rec, "national_id_typo")
            digits = [i for i, c in enumerate(value) if c.isdigit()]
            i = rng.choice(digits[:-1])
            if rng.random() < 0.5 and i + 1 in digits and value[i] != value[i + 1]:
                value = value[:i] + value[i + 1] + value[i] + value[i + 2 :]
            else:
                value = value[:i] + rng.choice([d for d in string.digits if d != value[i]]) + value[i + 1 :]
        if rng.random() < 0.3:  # formatting: spaces / dashes / lower case
            value = "-".join(value[j : j + 3] for j in range(0, len(value), 3)).lower()
        return [f"{country}:{id_type}:{value}"]

    def duplicate_address(self, p: Person, rec: SourceRecord) -> list[Address]:
        rng = self.rng
        if p.address is None:
            return []
        if rng.random() < DUPLICATE_RATES["address_missing"]:
            self._err(rec, "address_missing")
            return []
        if rng.random() < DUPLICATE_RATES["address_moved"]:
            self._err(rec, "address_moved")
            return [self.address(p.locale).render(rng, variant=True)]
        parts = p.address
        if rng.random() < DUPLICATE_RATES["address_typo"]:
            self._err(rec, "address_typo")
            parts = replace(parts, street=self.typo(parts.street))
        return [parts.render(rng, variant=True)]

    def duplicate(self, p: Person, rid: int) -> SourceRecord:
        rec = SourceRecord(rid, p.entity, p.household, p.locale, None, None, [], [], [], [], p.locale)
        rec.name = self.duplicate_name(p, rec)
        rec.dob = self.duplicate_dob(p, rec)
        rec.emails = self.duplicate_email(p, rec)
        rec.phones = self.duplicate_phone(p, rec)
        rec.national_ids = self.duplicate_national_id(p, rec)
        rec.addresses = self.duplicate_address(p, rec)
        return rec


def generate(n_entities: int, seed: int) -> Population:
    """`n_entities` people (incl. twins and family members) and their base + duplicate records, shuffled."""
    gen = Generator(seed)
    rng = gen.rng
    people: list[Person] = []
    twins: set[frozenset[int]] = set()
    family: set[frozenset[int]] = set()
    while len(people) < n_entities:
        base = gen.person(len(people))
        people.append(base)
        if len(people) < n_entities and rng.random() < DUPLICATE_RATES["twin"]:
            t = gen.twin(base, len(people))
            people.append(t)
            twins.add(frozenset((base.entity, t.entity)))
        if len(people) < n_entities and rng.random() < DUPLICATE_RATES["family_member"]:
            f = gen.family_member(base, len(people))
            people.append(f)
            family.add(frozenset((base.entity, f.entity)))
    records: list[SourceRecord] = []
    duplicates = 0
    for p in people:
        records.append(gen.base_record(p, len(records)))
        r = rng.random()
        n_dup = 2 if r < DUPLICATE_RATES["two_duplicates"] else 1 if r < DUPLICATE_RATES["any_duplicate"] else 0
        for _ in range(n_dup):
            records.append(gen.duplicate(p, len(records)))
            duplicates += 1
    rng.shuffle(records)
    return Population(records, twins, family, gen.errors, duplicates)


if __name__ == "__main__":
    pop = generate(2000, 1)
    print(f"{len(pop.records)} records, {pop.duplicate_records} duplicates, {len(pop.twins)} twin pairs")
