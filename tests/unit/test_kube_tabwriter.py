"""Go's tabwriter in Python: column blocks end at lines without that column, as in kubectl's output."""

from __future__ import annotations

from netcore.kube.tabwriter import Page, tabwrite


def test_a_get_table_pads_each_column_to_its_widest_cell_plus_three():
    text = "NAME\tREADY\tSTATUS\nnginx-7854ff8877-abcde\t1/1\tRunning\n"
    assert tabwrite(text, minwidth=6, padding=3) == (
        "NAME                     READY   STATUS\nnginx-7854ff8877-abcde   1/1     Running\n"
    )


def test_a_line_without_tabs_ends_the_alignment_block():
    page = Page()
    page.write(0, "Name:\thello-world\n")
    page.write(0, "Namespace:\tdefault\n")
    page.write(0, "IPs:\n")
    page.write(1, "IP:\t10.244.0.7\n")
    page.write(0, "Containers:\n")
    assert page.render() == ("Name:       hello-world\nNamespace:  default\nIPs:\n  IP:  10.244.0.7\nContainers:\n")


def test_a_later_column_is_aligned_only_over_lines_that_have_it():
    text = "a\tb\tc\nlonger\tx\n\ty\tz\n"
    assert tabwrite(text, minwidth=0, padding=1) == ("a      b c\nlonger x\n       y z\n")


def test_text_without_a_final_newline_keeps_none():
    assert tabwrite("a\tb", minwidth=0, padding=2) == "a  b"
