"""Named defaults: a default object that prints as the name it is exported under.

``help(CampaignEngine)`` shows every default of the constructor with ``repr()``, and the default
rule registry alone printed 75,000 characters. A default registered here prints as its public
name (``DEFAULT_RETRY_POLICY``) and stays exactly the value it was: the same object, equal to,
hashing and pickling like an equal one built by hand. Only this very object is named (by
identity): a policy you build, even an equal one, and a copy changed with ``attrs.evolve`` or
read back from a pickle print in full, as they should, since nothing says they are the default.

In a module, register the object where it is defined::

    DEFAULT_RETRY_POLICY = named_default(Retrying(), "DEFAULT_RETRY_POLICY")

and let its class print the name: ``__repr__ = repr_naming_defaults`` in an attrs class (attrs
then keeps the class's own ``__repr__``, which prints the fields as attrs does for any other
instance), or ``attrs.field(repr=name_or_repr)`` on a field whose default is a named object.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

__all__ = ["default_name", "name_or_repr", "named_default", "repr_naming_defaults"]

T = TypeVar("T")

# id -> (the object, its name). Holding the object keeps its id from being reused.
_NAMES: dict[int, tuple[object, str]] = {}

# Values the interpreter shares (small ints, interned strings, empty tuples): naming one would
# name every equal value.
_SHARED = (bool, int, float, complex, str, bytes, type(None))


def named_default(value: T, name: str) -> T:
    """``value`` itself, from now on printed as ``name`` by the reprs of this module."""
    if isinstance(value, _SHARED) or value == ():
        raise TypeError(f"{name}: a {type(value).__name__} may be shared; it cannot be named")
    _NAMES[id(value)] = (value, name)
    return value


def default_name(value: object) -> str | None:
    """The name ``value`` was registered under, if this very object was."""
    entry = _NAMES.get(id(value))
    return entry[1] if entry is not None and entry[0] is value else None


def name_or_repr(value: object) -> str:
    """The name of a named default, else ``repr(value)``: for ``attrs.field(repr=...)``."""
    name = default_name(value)
    return name if name is not None else repr(value)


def repr_naming_defaults(self: Any) -> str:
    """An attrs class's ``__repr__``: the name of a named default; else what attrs prints,
    ``ClassName(field=value, ...)`` with each field's own ``repr=`` option honoured."""
    name = default_name(self)
    if name is not None:
        return name
    parts = []
    for field in attrs.fields(type(self)):
        if field.repr is False:
            continue
        show = field.repr if callable(field.repr) else repr
        parts.append(f"{field.name}={show(getattr(self, field.name))}")
    return f"{type(self).__qualname__.rsplit('>.', 1)[-1]}({', '.join(parts)})"
