"""The pure detection of organisations, goals and citations in a paragraph."""

from __future__ import annotations

from resolutions.references import find_citations, find_gbf_targets, find_mentions, find_sdgs

VOCABULARY = {
    "ramsar": ["Convention on Wetlands", "Ramsar", "Ramsar Convention on Wetlands"],
    "cbd": ["Convention on Biological Diversity", "CBD"],
    "unep": ["United Nations Environment Programme", "UNEP"],
    "blg": ["Biodiversity Liaison Group", "BLG"],
}


def test_names_and_acronyms_found_once_each_in_order():
    text = (
        "Requests the Secretariat to work with the Ramsar Convention on Wetlands, CBD and "
        "the Biodiversity Liaison Group (BLG), and with the Ramsar Regional Initiatives."
    )
    mentions = find_mentions(text, VOCABULARY)
    assert [m.key for m in mentions] == ["ramsar", "cbd", "blg"]
    assert mentions[0].phrase == "Ramsar Convention on Wetlands"


def test_names_across_line_breaks_and_in_any_case():
    text = "liaising with the United Nations Environment \nprogramme and its regional offices"
    assert [m.key for m in find_mentions(text, VOCABULARY)] == ["unep"]


def test_acronyms_are_case_sensitive_whole_words_and_not_document_symbols():
    text = "The cbd-like abcbd tools; see UNEP/CMS/COP13/Doc.18 and the blg."
    assert find_mentions(text, VOCABULARY) == []


def test_gbf_targets_and_sdgs_by_number():
    text = "contributes to GBF Targets 3, 4 and 21 and to SDG 14 and SDG 99; Target 40"
    assert [m.key for m in find_gbf_targets(text)] == ["T3", "T4", "T21"]
    assert [m.key for m in find_sdgs(text)] == ["14"]
    assert [m.key for m in find_sdgs("Sustainable Development Goals 15 and 17")] == ["15", "17"]


def test_citations():
    text = (
        "Recalling Resolution 12.3 and Resolution 11.10 (Rev.COP14), Decision 14.11, "
        "(UNEP/CMS/Resolution 12.25) and UNEP/CMS/COP13/Doc.18/Annex 3 aimed at it."
    )
    found = [(c.kind, c.symbol, c.text) for c in find_citations(text)]
    assert found == [
        ("resolution", "12.3", "Resolution 12.3"),
        ("resolution", "11.10 (Rev.COP14)", "Resolution 11.10 (Rev.COP14)"),
        ("decision", "14.11", "Decision 14.11"),
        ("resolution", "12.25", "UNEP/CMS/Resolution 12.25"),
        ("document", "UNEP/CMS/COP13/Doc.18/Annex 3", "UNEP/CMS/COP13/Doc.18/Annex 3"),
    ]
    assert text[find_citations(text)[0].start : find_citations(text)[0].end] == "Resolution 12.3"
