"""One long recording across many transcriber replicas.

The replica that takes a job for a recording longer than the fan-out threshold cuts it at
silences into overlapping chunks (plan.py), stores each chunk's audio and publishes it as a
chunk job on a work-queue stream (chunks.py); every replica's chunk consumer transcribes and
diarizes chunks and stores their results; the owner waits for them and stitches one
transcript (merge.py, coordinator.py).
"""
