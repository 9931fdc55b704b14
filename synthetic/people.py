"""Synthetic people, ids and dates. Everything is drawn from a seeded `random.Random`;
no real patient ever enters the generator."""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from synthetic.phrasings import Phrasings

DATE_STYLES = ("mdy_slash", "mdy_short", "dmy_mon", "long", "iso", "mon_abbr")
RELATIONS = ("brother", "sister", "father", "mother", "cousin", "son", "daughter", "spouse")


@dataclass(frozen=True)
class Person:
    first: str
    last: str
    birth_date: dt.date

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    def written(self, style: str) -> str:
        """How a form or note prints the name; truth always uses `name`."""
        return f"{self.last.upper()}, {self.first.upper()}" if style == "last_first_caps" else (
            f"{self.last}, {self.first}" if style == "last_first" else self.name)


@dataclass(frozen=True)
class Provider:
    name: str  # "Firstname Lastname"
    credential: str  # "MD", "DO", ...
    npi: str
    facility: str
    city: str
    phone: str
    fax: str


def signed_name(provider: Provider) -> list[tuple[str, str | None]]:
    """The provider as printed: only the name is an entity, not the credential."""
    return [(provider.name, "OTHER_PERSON"), (f", {provider.credential}", None)]


def format_date(value: dt.date, style: str) -> str:
    if style == "mdy_slash":
        return value.strftime("%m/%d/%Y")
    if style == "mdy_short":
        return f"{value.month}/{value.day}/{value.strftime('%y')}"
    if style == "dmy_mon":
        return value.strftime("%d-%b-%Y")
    if style == "long":
        return f"{value.strftime('%B')} {value.day}, {value.year}"
    if style == "iso":
        return value.isoformat()
    if style == "mon_abbr":
        return f"{value.strftime('%b')} {value.day}, {value.year}"
    raise ValueError(f"unknown date style {style}")


def date_style(rng: random.Random, value: dt.date) -> str:
    """Two-digit years only where the century is unambiguous for an adult's date."""
    styles = [s for s in DATE_STYLES if s != "mdy_short" or value.year < 2000]
    return rng.choice(styles)


def us_phone(rng: random.Random) -> str:
    return f"{rng.choice(['203', '860', '617', '508', '401', '802'])}-{rng.randint(200, 989)}-{rng.randint(0, 9999):04d}"


def member_id(rng: random.Random) -> str:
    digits = "".join(str(rng.randint(0, 9)) for _ in range(rng.choice([8, 9])))
    return rng.choice([f"CPC{digits}", f"CPC{digits}", f"CPC{digits}-01", f"CP{digits}"])


def person(rng: random.Random, names: Phrasings, birth_date: dt.date, last: str | None = None) -> Person:
    return Person(rng.choice(names.names.patient_first), last or rng.choice(names.names.patient_last), birth_date)


def adult_birth_date(rng: random.Random, on: dt.date, min_age: int, max_age: int) -> dt.date:
    age_days = rng.randint(min_age * 366, max_age * 365)
    return on - dt.timedelta(days=age_days)


def provider(rng: random.Random, phrasings: Phrasings) -> Provider:
    names = phrasings.names
    return Provider(
        name=f"{rng.choice(names.physician_first)} {rng.choice(names.physician_last)}",
        credential=rng.choice(["MD", "MD", "DO", "MD, PhD"]),
        npi="1" + "".join(str(rng.randint(0, 9)) for _ in range(9)),
        facility=rng.choice(names.facilities), city=rng.choice(names.cities),
        phone=us_phone(rng), fax=us_phone(rng),
    )


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years; the birthday itself counts (born 2008-03-14 is 18 on 2026-03-14)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 in a non-leap year
        return day.replace(year=day.year + years, day=28)
