#!/usr/bin/env python3
"""Scores a training's export with COCO's own evaluator (pycocotools' COCOeval) at IoU 0.5.

usage: python3 tools/coco-check.py <artifact root>/exports/<training>/ [pipeline figure]

Reads ground-truth.coco.json and detections.all.coco.json from the folder the Uploader wrote, and prints COCOeval's
AP@0.5 over the box categories (all areas, at most 100 detections per image) and, when given, the figure the pipeline
reported (detection.exportedMeanAveragePrecision) beside it. Not part of CI: pycocotools comes from pip.
"""
import contextlib
import io
import json
import os
import sys

from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    folder = sys.argv[1]
    truth_path = os.path.join(folder, "ground-truth.coco.json")
    results_path = os.path.join(folder, "detections.all.coco.json")
    with contextlib.redirect_stdout(io.StringIO()):
        truth = COCO(truth_path)
    box_categories = set(truth.getCatIds())
    # COCO results may hold point categories (as 0-size boxes); COCOeval matches boxes only.
    with open(results_path) as f:
        results = [r for r in json.load(f) if r["category_id"] in box_categories]
    if not results:
        print("no box detections in the export")
        return 1
    with contextlib.redirect_stdout(io.StringIO()):
        found = truth.loadRes(results)
        evaluation = COCOeval(truth, found, "bbox")
        evaluation.params.iouThrs = [0.5]
        evaluation.evaluate()
        evaluation.accumulate()
    # precision[T, R, K, A, M]: the one IoU threshold, every recall point and category, area 'all', maxDets 100.
    precision = evaluation.eval["precision"][0, :, :, 0, -1]
    per_category = [precision[:, k][precision[:, k] > -1].mean() for k in range(precision.shape[1]) if (precision[:, k] > -1).any()]
    ap50 = sum(per_category) / len(per_category) if per_category else 0.0
    line = f"COCOeval AP@0.5 {ap50:.4f} over {len(per_category)} box categories"
    if len(sys.argv) > 2:
        line += f"; the pipeline's figure {float(sys.argv[2]):.4f}"
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
