"""Display outlines are kept per region data version and handed out as copies (both stores)."""

from __future__ import annotations

from services.regions import display_regions


def test_display_outlines_are_copies_and_follow_a_region_reload(store, small_world) -> None:
    regions = small_world["region"]
    store.write_frame("region", regions)
    first = display_regions(store, "sigungu")
    assert len(first) == int((regions["level"] == "sigungu").sum()) > 0
    first["full_name"] = "changed by the caller"
    again = display_regions(store, "sigungu")
    assert "changed by the caller" not in set(again["full_name"])

    renamed = regions.copy()
    code = str(first["code"].iloc[0])
    renamed.loc[renamed["code"] == code, "full_name"] = "새 이름"
    store.write_frame("region", renamed)
    after = display_regions(store, "sigungu")
    assert after.loc[after["code"] == code, "full_name"].tolist() == ["새 이름"]
