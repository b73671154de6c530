"""Region-code hierarchy helpers (geodata.regions)."""

from __future__ import annotations

import pytest

from geodata.regions import is_code_of, level_of, sido_of, sigungu_of, within


def test_levels_and_parents() -> None:
    assert level_of("11") == "sido" and level_of("11110") == "sigungu"
    assert level_of("11110515") == "emd"
    assert sigungu_of("11110515") == "11110" and sigungu_of("11110") == "11110"
    assert sido_of("11110515") == "11"


@pytest.mark.parametrize("bad", ["", "1111", "11110515x", "abcde", "1111051500"])
def test_level_of_rejects_other_codes(bad: str) -> None:
    with pytest.raises(ValueError, match="is not a"):
        level_of(bad)


def test_is_code_of_and_within() -> None:
    assert is_code_of("36110", "sigungu") and not is_code_of("3611", "sigungu")
    assert not is_code_of(None, "emd") and not is_code_of(36110, "sigungu")
    assert within("11110515", "11110") and within("11110", "11110")
    assert not within("11140515", "11110") and not within(None, "11") and not within("11", None)
