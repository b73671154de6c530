"""Display outlines are kept per region data version and handed out as copies (both stores)."""

from __future__ import annotations

from services.regions import display_regions, region_names


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


def test_region_names_are_copies_and_follow_a_region_reload(store, small_world) -> None:
    regions = small_world["region"]
    store.write_frame("region", regions)
    first = region_names(store, ("sigungu", "emd"))
    expected = regions[regions["level"].isin(["sigungu", "emd"])]
    assert len(first) == len(expected) > 0
    assert first["level"].tolist() == sorted(first["level"], key=["sigungu", "emd"].index)
    first["full_name"] = "changed by the caller"
    again = region_names(store, ("sigungu", "emd"))
    assert "changed by the caller" not in set(again["full_name"])
    assert again.equals(region_names(store, ["sigungu", "emd"]))

    renamed = regions.copy()
    code = str(again["code"].iloc[0])
    renamed.loc[renamed["code"] == code, "full_name"] = "새 이름"
    store.write_frame("region", renamed)
    after = region_names(store, ("sigungu", "emd"))
    assert after.loc[after["code"] == code, "full_name"].tolist() == ["새 이름"]
