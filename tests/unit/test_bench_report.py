"""loadtest/benchkit/report.py: the log axes of the HTML report."""
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.environ["SAGA_SOURCE_DIR"], "loadtest", "benchkit"))
import report  # noqa: E402


class LogAxisTest(unittest.TestCase):
    def test_whole_decades_around_the_values_with_1_2_5_ticks(self):
        lo, hi, ticks = report.log_axis([1.3, 4.4, 7.9, 24.3])
        self.assertEqual((lo, hi), (1, 100))
        self.assertEqual(ticks, [1, 2, 5, 10, 20, 50, 100])

    def test_sub_millisecond_values_and_zeros(self):
        lo, hi, ticks = report.log_axis([0, 0.11, 0.35, 3.2])
        self.assertEqual((lo, hi), (0.1, 10))
        self.assertEqual(ticks, [0.1, 0.2, 0.5, 1, 2, 5, 10])

    def test_a_wide_range_keeps_only_powers_of_ten(self):
        lo, hi, ticks = report.log_axis([0.5, 13405])
        self.assertEqual((lo, hi), (0.1, 100000))
        self.assertEqual(ticks, [0.1, 1, 10, 100, 1000, 10000, 100000])

    def test_the_chart_labels_every_tick_and_places_values_between_them(self):
        svg = report._chart("t", [("p99", "#000", [(0, 1.5), (1, 30)])], "ms", log_scale=True)
        labels = re.findall(r'text-anchor="end">([0-9.]+)</text>', svg)
        self.assertEqual(labels, ["1", "2", "5", "10", "20", "50", "100"])
        ys = {label: float(y) for y, label in re.findall(r'<text x="\d+" y="([0-9.]+)" text-anchor="end">([0-9.]+)<', svg)}
        points = [float(y) for y in re.findall(r',([0-9.]+)', re.search(r'points="([^"]+)"', svg).group(1))]
        # SVG y grows downwards: 1.5 ms lies between the 1 and 2 lines, 30 ms between 20 and 50.
        self.assertTrue(ys["2"] < points[0] < ys["1"], (points, ys))
        self.assertTrue(ys["50"] < points[1] < ys["20"], (points, ys))


if __name__ == "__main__":
    unittest.main()
