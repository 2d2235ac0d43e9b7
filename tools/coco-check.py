#!/usr/bin/env python3
"""Scores a training's export with COCO's own evaluator (pycocotools' COCOeval) at IoU 0.5.

usage: python3 tools/coco-check.py <artifact root>/exports/<training>/ [pipeline figure]

Reads ground-truth.coco.json and detections.all.coco.json from the folder the Uploader wrote, and prints COCOeval's
AP@0.5 over the box categories (all areas, at most 100 detections per image) and, when given, the figure the pipeline
reported (detection.exportedMeanAveragePrecision) beside it. Not part of CI: pycocotools comes from pip (Debian 12 has
no python3-pycocotools). Without it, the script says so and scores the files with the same matching written out below
in plain Python (greedy by score, IoU >= 0.5): the all-points AP the pipeline reports and COCO's 101-point one.
"""
import contextlib
import io
import json
import os
import sys
from collections import defaultdict


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    folder = sys.argv[1]
    truth_path = os.path.join(folder, "ground-truth.coco.json")
    results_path = os.path.join(folder, "detections.all.coco.json")
    reported = f"; the pipeline's figure {float(sys.argv[2]):.4f}" if len(sys.argv) > 2 else ""
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError:
        all_points, coco_101 = plain_ap50(truth_path, results_path)
        print(f"pycocotools is not installed; in plain Python: all-points AP@0.5 {all_points:.4f}, "
              f"101-point AP@0.5 {coco_101:.4f} (at most 100 detections per image){reported}")
        return 0
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
    print(f"COCOeval AP@0.5 {ap50:.4f} over {len(per_category)} box categories{reported}")
    return 0


def plain_ap50(truth_path: str, results_path: str) -> tuple[float, float]:
    """Mean over the box categories with ground truth of AP@0.5: all-points (VOC, the pipeline's) and 101-point (COCO's)."""
    with open(truth_path) as f:
        truth = json.load(f)
    with open(results_path) as f:
        results = json.load(f)
    boxes = defaultdict(list)
    for a in truth["annotations"]:
        boxes[(a["image_id"], a["category_id"])].append(a["bbox"])
    images = {image["id"] for image in truth["images"]}
    all_points, coco_101 = [], []
    for category in truth["categories"]:
        cid = category["id"]
        count = sum(len(v) for (_, c), v in boxes.items() if c == cid)
        if count == 0:
            continue
        per_image = defaultdict(list)
        for r in results:
            if r["category_id"] == cid and r["image_id"] in images:
                per_image[r["image_id"]].append(r)
        ranked = []
        for image, found in per_image.items():
            found.sort(key=lambda r: -r["score"])
            used = [False] * len(boxes[(image, cid)])
            for rank, r in enumerate(found):
                best, hit = 0.0, -1
                for t, box in enumerate(boxes[(image, cid)]):
                    overlap = iou(r["bbox"], box)
                    if not used[t] and overlap >= 0.5 and overlap > best:
                        best, hit = overlap, t
                if hit >= 0:
                    used[hit] = True
                ranked.append((r["score"], hit >= 0, rank < 100))
        all_points.append(average_precision([(s, h) for s, h, _ in ranked], count, coco=False))
        coco_101.append(average_precision([(s, h) for s, h, kept in ranked if kept], count, coco=True))
    mean = lambda values: sum(values) / len(values) if values else 0.0
    return mean(all_points), mean(coco_101)


def iou(a, b) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    union = a[2] * a[3] + b[2] * b[3] - w * h
    return w * h / union if union > 0 else 0.0


def average_precision(ranked, count: int, coco: bool) -> float:
    ranked = sorted(ranked, key=lambda x: -x[0])
    recall, precision, tp = [0.0], [0.0], 0
    for i, (_, hit) in enumerate(ranked, 1):
        tp += hit
        recall.append(tp / count)
        precision.append(tp / i)
    if coco:
        for i in range(len(precision) - 2, -1, -1):
            precision[i] = max(precision[i], precision[i + 1])
        # At each of 101 recall points, the envelope's precision at the first rank reaching it (0 where none does).
        return sum(next((precision[i] for i in range(1, len(recall)) if recall[i] >= k / 100), 0.0) for k in range(101)) / 101
    recall.append(1.0)
    precision.append(0.0)
    for i in range(len(precision) - 2, -1, -1):
        precision[i] = max(precision[i], precision[i + 1])
    return sum((recall[i] - recall[i - 1]) * precision[i] for i in range(1, len(recall)))


if __name__ == "__main__":
    sys.exit(main())
