"""The notebook's optional imports: a failed import names the distribution to install."""

from __future__ import annotations

import pytest

from sms_campaign_stats.errors import OptionalDependencyError
from sms_campaign_stats.notebook import _optional


def test_a_broken_import_names_the_package_it_could_not_find() -> None:
    with pytest.raises(OptionalDependencyError) as caught, _optional("pandas"):
        raise ModuleNotFoundError("No module named 'numpy.linalg'", name="numpy.linalg")
    assert "numpy" == caught.value.package
    with pytest.raises(OptionalDependencyError) as unnamed, _optional("pandas"):
        raise ImportError("cannot import name 'x'")
    assert "pandas" == unnamed.value.package
    assert isinstance(unnamed.value.__cause__, ImportError)
