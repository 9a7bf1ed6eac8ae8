from cxdata.zones import zone_choices


def test_any_zone_can_be_chosen_the_ones_in_hand_first():
    # found in review: the Upload page offered fifteen zones, and a team in Tokyo could not choose its own
    zones = zone_choices("UTC", "Asia/Tokyo")
    assert zones[:3] == ["UTC", "Asia/Tokyo", "Asia/Tehran"]
    assert len(zones) == len(set(zones)) > 400 and "America/Sao_Paulo" in zones
    assert zone_choices("Asia/Kolkata", None)[0] == "Asia/Kolkata"
    assert zone_choices("UTC", "Not/AZone")[:2] == ["UTC", "Asia/Tehran"]  # a browser's odd answer is left out
