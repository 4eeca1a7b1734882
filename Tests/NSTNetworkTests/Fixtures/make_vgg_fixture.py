#!/usr/bin/env python3
"""Writes vgg_reference.json: VGG-19 activations of a fixed photo crop, computed in float64 numpy.

An independent reference for the Swift network. Nothing here shares code with the Swift side:
the safetensors file is parsed with json + numpy, the PNG is decoded with zlib and the PNG
unfiltering rules (RFC 2083 / PNG spec section 9), and the network is written out directly:
3x3 cross-correlation with zero padding 1 and bias, ReLU, 2x2 max pooling with stride 2
(Simonyan & Zisserman 2014, configuration E).

Usage (from the package root, after `nst-exp weights install`):
    python3 Tests/NSTNetworkTests/Fixtures/make_vgg_fixture.py [weights.safetensors]
"""
import hashlib
import json
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
IMAGE = "masked/pair04_content.png"  # Tübingen, 700x525 RGB
CROP = {"x": 300, "y": 200, "width": 96, "height": 96}
MEAN_BGR = [103.939, 116.779, 123.68]
LAYERS = ["relu1_1", "relu3_1", "relu5_1"]
SAMPLES = 200
SEED = 20261125
BLOCKS = [2, 2, 4, 4, 4]  # convs per block; a max pool follows each block


def default_weights_path():
    if os.environ.get("NST_WEIGHTS"):
        return os.environ["NST_WEIGHTS"]
    if os.environ.get("NST_CACHE_DIR"):
        return os.path.join(os.environ["NST_CACHE_DIR"], "vgg19.safetensors")
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(cache, "nst", "vgg19.safetensors")


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        assert info["dtype"] == "F32", (name, info["dtype"])
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data[base + begin:base + end], dtype="<f4").reshape(info["shape"]).astype(np.float64)
    return tensors, metadata


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png_rgb8(path):
    """Decodes a non-interlaced 8-bit RGB PNG into an (H, W, 3) uint8 array."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert (depth, colour, interlace) == (8, 2, 0), "only 8-bit RGB, non-interlaced"
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(idat)
    assert len(raw) == height * (width * 3 + 1), "IDAT size does not match the image size"
    bpp, stride = 3, width * 3
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        ftype = raw[start]
        line = bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif ftype == 4:
                line[i] = (line[i] + paeth(a, b, c)) & 255
            else:
                assert ftype == 0, f"bad filter {ftype}"
        out[y] = np.frombuffer(bytes(line), dtype=np.uint8)
        prev = line
    return out.reshape(height, width, 3)


def conv3x3_relu(x, weight, bias):
    """out[o,y,x] = relu(b[o] + sum_{i,ky,kx} W[o,i,ky,kx] * x_pad[i, y+ky, x+kx])."""
    channels, height, width = x.shape
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    cols = np.empty((channels, 3, 3, height, width))
    for ky in range(3):
        for kx in range(3):
            cols[:, ky, kx] = padded[:, ky:ky + height, kx:kx + width]
    out = weight.reshape(weight.shape[0], -1) @ cols.reshape(-1, height * width) + bias[:, None]
    return np.maximum(out, 0).reshape(weight.shape[0], height, width)


def maxpool2(x):
    c, h, w = x.shape
    return x[:, :h - h % 2, :w - w % 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


def forward(x, tensors, wanted):
    activations = {}
    for b, convs in enumerate(BLOCKS, start=1):
        for n in range(1, convs + 1):
            name = f"conv{b}_{n}"
            x = conv3x3_relu(x, tensors[name + ".weight"], tensors[name + ".bias"])
            relu = f"relu{b}_{n}"
            if relu in wanted:
                activations[relu] = x
            if len(activations) == len(wanted):
                return activations
        x = maxpool2(x)
    return activations


def summarise(name, act, rng):
    c, h, w = act.shape
    # Always include the largest activation, so scale errors cannot hide among zeros.
    peak = int(np.argmax(np.abs(act)))
    drawn = [int(i) for i in rng.choice(c * h * w, size=SAMPLES, replace=False) if i != peak]
    flat = [peak] + drawn[:SAMPLES - 1]
    samples = []
    for index in flat:
        ch, rest = divmod(int(index), h * w)
        y, x = divmod(rest, w)
        samples.append([ch, y, x, float(act[ch, y, x])])
    return {
        "shape": [c, h, w],
        "channel_means": [float(v) for v in act.mean(axis=(1, 2))],
        "max_abs": float(np.abs(act).max()),
        "samples": samples,
    }


def main():
    weights_path = sys.argv[1] if len(sys.argv) > 1 else default_weights_path()
    tensors, metadata = read_safetensors(weights_path)
    image_path = os.path.join(PACKAGE_ROOT, "..", "shared", "images", IMAGE)
    with open(image_path, "rb") as f:
        image_sha = hashlib.sha256(f.read()).hexdigest()
    rgb = decode_png_rgb8(image_path)
    crop = rgb[CROP["y"]:CROP["y"] + CROP["height"], CROP["x"]:CROP["x"] + CROP["width"]]
    # RGB in 0...1 (as the Swift image decoder yields) -> BGR on 0...255 minus the ImageNet mean.
    unit = crop.astype(np.float64).transpose(2, 0, 1) / 255.0
    bgr = unit[::-1] * 255.0 - np.array(MEAN_BGR)[:, None, None]
    activations = forward(bgr, tensors, LAYERS)
    rng = np.random.default_rng(SEED)
    fixture = {
        "description": "VGG-19 activations of a photo crop, float64 numpy reference (make_vgg_fixture.py)",
        "image": IMAGE,
        "image_sha256": image_sha,
        "crop": CROP,
        "preprocessing": "rgb = byte/255; input = rgb[::-1]*255 - mean_bgr (BGR order, 0-255 scale)",
        "mean_bgr": MEAN_BGR,
        "weights_source_sha256": metadata.get("source_sha256", ""),
        "network": "3x3 conv pad 1 + bias + ReLU; 2x2 max pool stride 2 after each block",
        "sample_format": "[channel, y, x, value]",
        "seed": SEED,
        "layers": {name: summarise(name, activations[name], rng) for name in LAYERS},
    }
    out = os.path.join(HERE, "vgg_reference.json")
    with open(out, "w") as f:
        json.dump(fixture, f, indent=1)
        f.write("\n")
    print(f"wrote {out} ({os.path.getsize(out)} bytes)")


if __name__ == "__main__":
    main()
