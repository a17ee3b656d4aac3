"""Iraq's governorates: one house spelling each, and the spellings editors also use."""

from __future__ import annotations

import re

# House spelling -> other spellings seen in sources. The house spellings follow ISHM's usage.
GOVERNORATES: dict[str, tuple[str, ...]] = {
    "Anbar": ("Al Anbar", "al-Anbar"),
    "Babylon": ("Babil", "Babel"),
    "Baghdad": (),
    "Basra": ("Basrah", "al-Basra"),
    "Dhi Qar": ("Dhi-Qar", "Thi Qar", "Thi-Qar", "Nasiriyah"),
    "Diwaniyah": ("Qadisiyah", "Al-Qadisiyah", "Qadisiya", "Diwaniya", "Al Qadisiyyah"),
    "Diyala": ("Diyalah",),
    "Duhok": ("Dohuk", "Dahuk", "Dihok"),
    "Erbil": ("Irbil", "Arbil", "Hawler", "Hewler"),
    "Halabja": ("Halabjah",),
    "Karbala": ("Kerbala", "Karbalaa"),
    "Kirkuk": ("Tamim", "At-Ta'mim", "Ta'mim", "Kerkuk"),
    "Maysan": ("Missan", "Maisan", "Misan"),
    "Muthanna": ("Al Muthanna", "al-Muthanna"),
    "Najaf": ("An Najaf", "al-Najaf"),
    "Ninewa": ("Nineveh", "Ninawa", "Ninevah", "Nineva", "Ninawa"),
    "Salah ad-Din": ("Salahuddin", "Saladin", "Salah al-Din", "Salahaddin", "Salaheddine"),
    "Sulaymaniyah": ("Slemani", "Sulaimaniya", "Sulaymaniya", "Suleimaniyah", "Sulaimani"),
    "Wasit": ("Wassit",),
}


def _key(name: str) -> str:
    folded = name.lower().replace("’", "'")
    folded = re.sub(r"\bprovince\b|\bgovernorate\b", "", folded)
    folded = re.sub(r"^(al|an|as|at|ad)[-\s]", "", folded.strip())
    return re.sub(r"[^a-z]", "", folded)


_LOOKUP: dict[str, str] = {}
for _house, _others in GOVERNORATES.items():
    for _name in (_house, *_others):
        _LOOKUP[_key(_name)] = _house


def house_spelling(name: str) -> str | None:
    """Return the house spelling of a governorate name, or None if it names none."""
    return _LOOKUP.get(_key(name))


def slug(name: str) -> str:
    """Return the URL slug of a house spelling: ``Salah ad-Din`` -> ``salah-ad-din``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
