"""Sibling files paired by a naming pattern, and the files left unpaired."""

from __future__ import annotations

from pathlib import Path

import pytest

from cellcounter_app.errors import ParameterError
from cellcounter_app.markers import PairPattern, pair_files


def _names(pairing):
    return [(p.detect.as_posix(), {t: s.as_posix() for t, s in p.siblings.items()}, p.missing)
            for p in pairing.images]


def test_detect_files_get_every_marker_sibling():
    files = [Path(n) for n in ("w1/a_DAPI_1.tif", "w1/a_Cy3_1.tif", "w1/a_GFP_1.tif",
                               "w1/b_DAPI_1.tif", "w1/b_Cy3_1.tif", "w1/b_GFP_1.tif")]
    pairing = pair_files(files, PairPattern.parse("DAPI=Cy3,GFP"))
    assert _names(pairing) == [
        ("w1/a_DAPI_1.tif", {"Cy3": "w1/a_Cy3_1.tif", "GFP": "w1/a_GFP_1.tif"}, {}),
        ("w1/b_DAPI_1.tif", {"Cy3": "w1/b_Cy3_1.tif", "GFP": "w1/b_GFP_1.tif"}, {}),
    ]
    assert pairing.unpaired == ()


def test_c1_c2_suffixes_ignoring_case_and_only_whole_words():
    files = [Path(n) for n in ("img-C1.tif", "img-c2.tif", "sec1_c1.png", "sec1_c2.png", "notc1.png")]
    pairing = pair_files(files, PairPattern.parse("c1=c2"))
    assert _names(pairing) == [("img-C1.tif", {"c2": "img-c2.tif"}, {}),
                               ("sec1_c1.png", {"c2": "sec1_c2.png"}, {})]
    assert [(p.as_posix(), why) for p, why in pairing.unpaired] == [
        ("notc1.png", "the name contains none of the pair tokens c1, c2")]


def test_unpaired_files_are_reported_with_the_reason():
    files = [Path(n) for n in ("a_DAPI.tif", "b_DAPI.tif", "b_Cy3.tif", "c_Cy3.tif", "d_DAPI_DAPI.tif",
                               "other/a_Cy3.tif")]
    pairing = pair_files(files, PairPattern.parse("DAPI=Cy3"))
    assert _names(pairing) == [("a_DAPI.tif", {}, {"Cy3": "a_Cy3.tif"}), ("b_DAPI.tif", {"Cy3": "b_Cy3.tif"}, {})]
    assert pairing.images[0].missing_reason() == "no Cy3 file 'a_Cy3.tif' next to it"
    assert [(p.as_posix(), why) for p, why in pairing.unpaired] == [
        ("c_Cy3.tif", "a Cy3 file without its DAPI file 'c_DAPI.tif'"),
        ("d_DAPI_DAPI.tif", "the name contains 'DAPI' more than once"),
        ("other/a_Cy3.tif", "a Cy3 file without its DAPI file 'a_DAPI.tif'"),
    ]


@pytest.mark.parametrize("text, message", [
    ("DAPI", "pair pattern must be DETECT=MARKER"),
    ("DAPI=", "pair pattern must be DETECT=MARKER"),
    ("DAPI=Cy3,dapi", "pair tokens must differ"),
    ("DAPI=Cy3,", "pair token must be letters, digits"),
    ("*_DAPI_*=Cy3", "pair token must be letters, digits"),
])
def test_bad_patterns_are_refused(text, message):
    with pytest.raises(ParameterError, match=message):
        PairPattern.parse(text)
