"""Every internal type of the type map round-trips through adapter, driver and converter."""

from __future__ import annotations

import datetime
import decimal
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backends import Column, Table

UTC = datetime.timezone.utc
PARAMS = {"max_length": 200, "max_digits": 15, "decimal_places": 5}

# internal type -> values that must come back equal (None = SQL NULL)
SAMPLES = {
    "CharField": ["", "héllo ☃ 𝄞", "'; DROP TABLE x; --", "50%_off\\", None],
    "TextField": ["x" * 5000, "", "line\nbreak\ttab", None],
    "SlugField": ["a-slug"],
    "EmailField": ["a@example.com"],
    "URLField": ["https://example.com/?a=1&b=%20"],
    "IntegerField": [0, -2147483648, 2147483647, None],
    "BigIntegerField": [-(2**63), 2**63 - 1],
    "SmallIntegerField": [-32768, 32767],
    "PositiveIntegerField": [0, 2147483647],
    "PositiveSmallIntegerField": [0, 32767],
    "PositiveBigIntegerField": [0, 2**62],
    "FloatField": [0.0, -1.5, 1e300, 3.141592653589793],
    "DecimalField": [
        decimal.Decimal("0"),
        decimal.Decimal("-1234567890.12345"),
        decimal.Decimal("9999999999.99999"),
        decimal.Decimal("-0.00001"),
        decimal.Decimal("1.10000"),
        None,
    ],
    "BooleanField": [True, False, None],
    "DateField": [datetime.date(1, 1, 1), datetime.date(2024, 2, 29), datetime.date(9999, 12, 31)],
    "DateTimeField": [
        datetime.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime.datetime(1970, 1, 1, tzinfo=UTC),
        None,
    ],
    "TimeField": [datetime.time(0, 0), datetime.time(23, 59, 59, 999999), datetime.time(12, 30)],
    "DurationField": [
        datetime.timedelta(0),
        datetime.timedelta(days=-3, microseconds=7),
        datetime.timedelta(days=999, hours=23, microseconds=1),
    ],
    "UUIDField": [uuid.UUID(int=0), uuid.uuid4(), None],
    "JSONField": [
        {"a": [1, 2.5, None, True], "é": {"nested": "☃"}},
        [1, "two", {"three": 3}],
        "just a string",
        42,
    ],
    "BinaryField": [b"", b"\x00\x01\xff" * 100, None],
    "GenericIPAddressField": ["192.0.2.1", "2001:db8::1"],
}
ALL_TYPES = [
    "AutoField", "BigAutoField", "SmallAutoField", *SAMPLES,
]  # fmt: skip


def _table_for(db, internal_type: str, name: str = "roundtrip") -> None:
    dialect = db.dialect
    column = Column("value", dialect.column_type(internal_type, PARAMS), null=True)
    pk = Column("id", dialect.column_type("BigAutoField"), null=False, primary_key=True,
                autoincrement=True)  # fmt: skip
    with db.schema_editor() as editor:
        editor.create_table(Table(name, (pk, column)))


def _round_trip(db, internal_type: str, value):
    adapter = db.dialect.get_adapter(internal_type)
    converter = db.dialect.get_converter(internal_type)
    db.execute("DELETE FROM roundtrip")
    db.execute(
        "INSERT INTO roundtrip (value) VALUES (%s)",
        (adapter(value) if adapter else value,),
    )
    (raw,) = db.execute("SELECT value FROM roundtrip").fetchone()
    return converter(raw) if converter else raw


def test_every_internal_type_has_a_column_type(db):
    for internal_type in ALL_TYPES:
        assert db.dialect.column_type(internal_type, PARAMS)


@pytest.mark.parametrize("internal_type", sorted(SAMPLES))
def test_values_round_trip(db, internal_type):
    _table_for(db, internal_type)
    for value in SAMPLES[internal_type]:
        back = _round_trip(db, internal_type, value)
        assert back == value, (internal_type, value, back)
        if value is not None:
            assert type(back) is type(value) or isinstance(back, type(value)), (value, back)


def test_datetimes_come_back_aware_in_utc_whatever_zone_went_in(db):
    _table_for(db, "DateTimeField")
    paris = datetime.timezone(datetime.timedelta(hours=2))
    value = datetime.datetime(2024, 6, 1, 14, 0, tzinfo=paris)
    back = _round_trip(db, "DateTimeField", value)
    assert back == value
    assert back.utcoffset() == datetime.timedelta(0)
    assert (back.hour, back.minute) == (12, 0)


def test_rel_column_type_of_auto_fields_is_the_plain_integer_type(db):
    dialect = db.dialect
    assert dialect.rel_column_type("AutoField") == dialect.column_type("IntegerField")
    assert dialect.rel_column_type("BigAutoField") == dialect.column_type("BigIntegerField")
    assert dialect.rel_column_type("CharField", {"max_length": 5}) == dialect.column_type(
        "CharField", {"max_length": 5}
    )


def test_positive_fields_get_a_check_that_rejects_negatives(db):
    from backends import DataError, IntegrityError

    check = db.dialect.column_check("PositiveIntegerField", "value")
    assert check == db.dialect.quote_name("value") + " >= 0"
    assert db.dialect.column_check("IntegerField", "value") is None
    column = Column("value", db.dialect.column_type("PositiveIntegerField"), check_sql=check)
    with db.schema_editor() as editor:
        editor.create_table(Table("positive", (column,)))
    db.execute("INSERT INTO positive (value) VALUES (%s)", (0,))
    # MySQL's UNSIGNED type rejects the value (DataError) before the CHECK would.
    with pytest.raises(DataError if db.vendor == "mysql" else IntegrityError):
        db.execute("INSERT INTO positive (value) VALUES (%s)", (-1,))


_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=50
)
_decimals = st.decimals(
    min_value=decimal.Decimal("-9999999999.99999"),
    max_value=decimal.Decimal("9999999999.99999"),
    places=5,
    allow_nan=False,
    allow_infinity=False,
)
_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=10,
)
_datetimes = st.datetimes(
    min_value=datetime.datetime(1900, 1, 1),
    max_value=datetime.datetime(2200, 1, 1),
    timezones=st.just(UTC),
)

PROPERTIES = {
    "CharField": _text,
    "DecimalField": _decimals,
    "JSONField": _json,
    "DateTimeField": _datetimes,
    "DurationField": st.timedeltas(
        min_value=datetime.timedelta(days=-99999), max_value=datetime.timedelta(days=99999)
    ),
    "BinaryField": st.binary(max_size=64),
    "UUIDField": st.uuids(),
}


@pytest.mark.parametrize("internal_type", sorted(PROPERTIES))
def test_round_trip_property(db, internal_type):
    _table_for(db, internal_type)

    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(PROPERTIES[internal_type])
    def check(value):
        assert _round_trip(db, internal_type, value) == value

    check()
