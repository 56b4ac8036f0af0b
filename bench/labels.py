"""Benchmark: a PDF of 1,000 batch labels, ours against a naive reference, in one process.

Run with `python -m bench.labels [--rounds N]`. Three cases, each 1,000 labels on the A4 3 × 8
sheet, timed as medians over the rounds:
- ours, 1,000 different batches (the worst case: every QR and every line of text is new);
- ours, 40 batches × 25 copies (a market morning: each label drawn once, placed 25 times);
- the naive reference: for every label, a PNG made with `qrcode.make()` (best mask, as the
  library does by default) placed with `drawImage`, with the same text drawn beside it.
Prints each median (wall clock and CPU time) and its CPU time's ratio to the naive reference
measured in the same run.
"""
import argparse
import io
import os
import statistics
import tempfile
import time

import qrcode
from reportlab.lib.utils import ImageReader

from core import create_app
from core.qr import qr_rows
from traceability import codes, labels
from traceability.labels import LabelContent

LABELS = 1000


def content(number):
    code = codes.new_code()
    return LabelContent(
        code=code, url=f"https://greenmarket.example/b/{code}",
        product_name=["คะน้า", "ผักบุ้งจีน", "เห็ดนางฟ้า", "น้ำผึ้งชันโรง", "ผักกาดหอมห่อใบแดงอินทรีย์"][number % 5],
        product_name_en="", household=f"สวนผักป้าศรี {number}", village="หมู่ที่ 3 ต.คลองแห",
        harvested="เก็บเกี่ยว 24 พ.ย. 2569", price="฿60.00 ต่อ กก.", claim="certified", claim_text="รับรองอินทรีย์")


def draw_qr_as_png(canvas, x, y, size, data, mask_pattern=None):
    """The naive way: a raster QR image per label (the mask is left to the library)."""
    image = qrcode.make(data, border=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    buffer.seek(0)
    canvas.drawImage(ImageReader(buffer), x, y, size, size)


def naive_pdf(contents):
    """Every label drawn afresh, with a PNG QR code: no forms, no reuse."""
    original = labels.draw_qr
    labels.draw_qr = draw_qr_as_png
    try:
        return labels.labels_pdf([(item, 1) for item in contents], "a4-3x8")
    finally:
        labels.draw_qr = original


def median_seconds(function, rounds):
    """Median wall-clock and CPU seconds: on a shared machine the CPU time is the steadier figure."""
    samples, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return statistics.median(samples), statistics.median(cpu)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"DATABASE_URL": f"sqlite:///{folder}/bench.db", "INSTANCE_PATH": folder,
                          "SECRET_KEY": "bench-secret-key-of-at-least-32-bytes"})
        with app.test_request_context():
            distinct = [content(n) for n in range(LABELS)]
            market_morning = [(content(n), 25) for n in range(40)]

            def ours_distinct():
                qr_rows.cache_clear()
                return labels.labels_pdf([(item, 1) for item in distinct], "a4-3x8")

            def ours_copies():
                qr_rows.cache_clear()
                return labels.labels_pdf(market_morning, "a4-3x8")

            naive = median_seconds(lambda: naive_pdf(distinct), rounds)
            results = {
                "naive: PNG QR per label (reference)": naive,
                "ours: 1,000 different batches": median_seconds(ours_distinct, rounds),
                "ours: 40 batches x 25 copies": median_seconds(ours_copies, rounds),
            }
            size_ours = len(ours_distinct())
            size_naive = len(naive_pdf(distinct))
    print(f"1,000 labels on A4 3x8, median of {rounds} rounds, {os.cpu_count()} CPUs")
    for name, (seconds, cpu) in results.items():
        print(f"  {name:40s} {seconds * 1000:8.0f} ms (CPU {cpu * 1000:6.0f} ms)   {cpu / naive[1]:5.2f} x reference")
    print(f"  PDF size: ours {size_ours / 1024:.0f} KB, naive {size_naive / 1024:.0f} KB")


if __name__ == "__main__":
    main()
