"""Canonical rows (the conformance corpus README's "Canonical row format") of a pyarrow table, converted by the
Delta type of each column. Values come out as JSON-ready Python values; the node side stringifies and sorts them
with conformance/canonical.ts, so only the per-value conversion lives here."""
import datetime
import decimal
import json
import math
import struct

_UTC = datetime.timezone.utc
_DEC = decimal.Context(prec=80)


def shortest_float32(x):
    """The shortest decimal that round-trips through float32, as a Python float."""
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for p in range(1, 10):
        s = "%.*g" % (p, f32)
        if struct.unpack("f", struct.pack("f", float(s)))[0] == f32:
            return float(s)
    return f32


def _float(x, is_float32):
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return shortest_float32(x) if is_float32 else float(x)


def _timestamp(v, with_zone):
    if with_zone:
        if v.tzinfo is None:
            raise ValueError(f"timestamp value without a zone: {v!r}")
        v = v.astimezone(_UTC)
    elif v.tzinfo is not None:
        raise ValueError(f"timestamp_ntz value with a zone: {v!r}")
    s = f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}.{v.microsecond:06d}"
    return s + "Z" if with_zone else s


def _canon_json_text(v):
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def _utf16(s):
    return s.encode("utf-16-be")


def _map_key_sort(key_type):
    numeric = key_type in ("byte", "short", "integer", "long", "float", "double") or (
        isinstance(key_type, str) and key_type.startswith("decimal")
    )
    if numeric:
        return lambda pair: decimal.Decimal(str(pair[0])) if pair[0] not in ("NaN", "Infinity", "-Infinity") else decimal.Decimal(pair[0])
    return lambda pair: _utf16(_canon_json_text(pair[0]))


def value(t, v):
    """Canonical value of Python value `v` (from pyarrow's to_pylist) whose Delta type is `t`."""
    if v is None:
        return None
    if isinstance(t, dict):
        kind = t["type"]
        if kind == "struct":
            return {f["name"]: value(f["type"], v.get(f["name"])) for f in t["fields"]}
        if kind == "array":
            return [value(t["elementType"], x) for x in v]
        if kind == "map":
            pairs = [[value(t["keyType"], k), value(t["valueType"], x)] for k, x in v]
            pairs.sort(key=_map_key_sort(t["keyType"]))
            return pairs
        raise ValueError(f"unknown Delta type {t!r}")
    if t in ("byte", "short", "integer"):
        return int(v)
    if t == "long":
        return str(int(v))
    if t in ("float", "double"):
        return _float(float(v), t == "float")
    if t == "boolean":
        return bool(v)
    if t == "string":
        return str(v)
    if t == "binary":
        return bytes(v).hex()
    if t == "date":
        return v.isoformat()
    if t == "timestamp":
        return _timestamp(v, True)
    if t == "timestamp_ntz":
        return _timestamp(v, False)
    if t.startswith("decimal"):
        scale = int(t[t.index(",") + 1 : t.index(")")])
        q = decimal.Decimal(v).quantize(decimal.Decimal(1).scaleb(-scale), context=_DEC)
        return format(q, "f")
    raise ValueError(f"unknown Delta type {t!r}")


def rows(table, schema):
    """Canonical rows of a pyarrow table whose Delta schema (dict) is `schema`."""
    names = table.column_names
    cols = []
    for f in schema["fields"]:
        if f["name"] not in names:
            raise ValueError(f"result lacks column {f['name']!r} (has {names})")
        cols.append((f, table.column(f["name"]).to_pylist()))
    out = []
    for i in range(table.num_rows):
        out.append({f["name"]: value(f["type"], c[i]) for f, c in cols})
    return out
