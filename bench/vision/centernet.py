#!/usr/bin/env python3
"""The PyTorch side of the vision benchmark: the same CenterNet-style detector as
libs/Pipeline.Vision/Models/CenterNet.cs (layer for layer), the same loss, Adam, on the batch the .NET
benchmark wrote (batch.json + raw little-endian arrays). Prints one JSON line: median training step in ms
and detection images per second (forward + peak picking + top-k, like the .NET decoder).

usage: /usr/bin/python3 centernet.py BATCH_DIR [--threads 2] [--warmup 10] [--steps 40]
"""
import argparse
import json
import os
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def cbr(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def head(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cin, 3, padding=1), nn.ReLU(inplace=True), nn.Conv2d(cin, cout, 1))


class CenterNet(nn.Module):
    def __init__(self, spatial, classification, w=16):
        super().__init__()
        self.stem = nn.Sequential(cbr(3, w, 2))
        self.stage4 = nn.Sequential(cbr(w, 2 * w, 2), cbr(2 * w, 2 * w))
        self.stage8 = nn.Sequential(cbr(2 * w, 4 * w, 2), cbr(4 * w, 4 * w))
        self.stage16 = nn.Sequential(cbr(4 * w, 6 * w, 2), cbr(6 * w, 6 * w), cbr(6 * w, 6 * w))
        self.up8 = nn.Sequential(cbr(6 * w + 4 * w, 4 * w))
        self.up4 = nn.Sequential(cbr(4 * w + 2 * w, 2 * w))
        self.heatmap = head(2 * w, max(1, spatial))
        self.size = head(2 * w, 2)
        self.offset = head(2 * w, 2)
        self.classes = nn.Linear(6 * w, max(1, classification))
        with torch.no_grad():
            self.heatmap[2].bias.fill_(-2.19)

    def forward(self, x):
        c2 = self.stem(x)
        c4 = self.stage4(c2)
        c8 = self.stage8(c4)
        c16 = self.stage16(c8)
        p8 = self.up8(torch.cat([F.interpolate(c16, scale_factor=2.0, mode="nearest"), c8], 1))
        p4 = self.up4(torch.cat([F.interpolate(p8, scale_factor=2.0, mode="nearest"), c4], 1))
        pooled = F.adaptive_avg_pool2d(c16, 1).flatten(1)
        return self.heatmap(p4), self.size(p4), self.offset(p4), self.classes(pooled)


def focal(logits, target):
    p = logits.sigmoid().clamp(1e-4, 1 - 1e-4)
    pos = target.eq(1).float()
    neg = 1 - pos
    pos_loss = (p.log() * (1 - p).pow(2) * pos).sum()
    neg_loss = ((1 - p).log() * p.pow(2) * (1 - target).pow(4) * neg).sum()
    return -(pos_loss + neg_loss) / pos.sum().clamp_min(1)


def gathered_l1(m, target, indices, mask):
    b, c = m.shape[0], m.shape[1]
    pred = m.view(b, c, -1).gather(2, indices.unsqueeze(1).expand(b, c, indices.shape[1]))
    weight = mask.unsqueeze(1)
    return ((pred - target).abs() * weight).sum() / (weight.sum() * c + 1e-4)


def loss_of(out, t, has_classes):
    hm, size, offset, classes = out
    total = focal(hm, t["heatmap"]) + 0.1 * gathered_l1(size, t["size"], t["indices"], t["boxmask"]) \
        + gathered_l1(offset, t["offset"], t["indices"], t["mask"])
    if has_classes:
        total = total + F.binary_cross_entropy_with_logits(classes, t["classes"])
    return total


def decode(out, top_k=100):
    hm, size, offset, classes = out
    heat = hm.sigmoid()
    b, c, h, w = heat.shape
    keep = heat * F.max_pool2d(heat, 3, 1, 1).eq(heat).float()
    scores, index = keep.view(b, -1).topk(min(top_k, c * h * w))
    channel = torch.div(index, h * w, rounding_mode="floor")
    cell = index.remainder(h * w)
    g = cell.unsqueeze(1).expand(b, 2, cell.shape[1])
    wh = size.view(b, 2, -1).gather(2, g)
    off = offset.view(b, 2, -1).gather(2, g)
    return scores.tolist(), channel.tolist(), cell.tolist(), wh.tolist(), off.tolist(), classes.sigmoid().tolist()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("batch")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--steps", type=int, default=40)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    meta = json.load(open(os.path.join(args.batch, "batch.json")))
    b, r, k = meta["batch"], meta["resolution"], meta["maxObjects"]
    side = r // 4

    def load(name, dtype, shape):
        return torch.from_numpy(np.fromfile(os.path.join(args.batch, name), dtype=dtype).reshape(shape).copy())

    x = load("input.f32", np.float32, (b, 3, r, r))
    t = {
        "heatmap": load("heatmap.f32", np.float32, (b, meta["heatmapChannels"], side, side)),
        "indices": load("indices.i64", np.int64, (b, k)),
        "mask": load("mask.f32", np.float32, (b, k)),
        "boxmask": load("boxmask.f32", np.float32, (b, k)),
        "size": load("size.f32", np.float32, (b, 2, k)),
        "offset": load("offset.f32", np.float32, (b, 2, k)),
        "classes": load("classes.f32", np.float32, (b, meta["classes"])),
    }
    has_classes = meta["classification"] > 0
    model = CenterNet(meta["spatial"], meta["classification"], meta["width"])
    optimizer = torch.optim.Adam(model.parameters(), lr=meta["learningRate"])
    model.train()
    times = []
    for i in range(args.warmup + args.steps):
        start = time.perf_counter()
        loss = loss_of(model(x), t, has_classes)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        loss.item()
        if i >= args.warmup:
            times.append((time.perf_counter() - start) * 1000)
    model.eval()
    with torch.no_grad():
        for i in range(args.warmup + args.steps):
            if i == args.warmup:
                start = time.perf_counter()
            decode(model(x))
        detect_seconds = time.perf_counter() - start
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "step_ms": statistics.median(times), "detect_images_per_s": args.steps * b / detect_seconds,
    }))


if __name__ == "__main__":
    main()
