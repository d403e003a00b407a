#!/usr/bin/env bash
# Rebuilds the demo's MIL model (models/fixtures/mil-vit-tiny.*): synthetic specimens rendered by
# the synthetic scanner (seed 1000; the demo uses 42), embedded by the fixture ViT through the
# pipeline's own code, trained with models/train_mil.py. Takes a few minutes on 2 cores.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/models/build"
rm -rf "$BUILD/synth-train"
"$ROOT/bloomstream" synth "$BUILD/synth-train" --specimens 100 --cells 150 --seed 1000
"$ROOT/bloomstream" embed "$BUILD/synth-train" --out "$BUILD/synth-train-emb"
/usr/bin/python3 "$ROOT/models/train_mil.py" \
  --embeddings "$BUILD/synth-train-emb" \
  --metadata "$BUILD/synth-train/metadata.csv" \
  --model-id mil-vit-tiny-synthetic \
  --out "$ROOT/models/fixtures/mil-vit-tiny"
