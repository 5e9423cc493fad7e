"""The embedded local engine: planner, draft → one-pass ffmpeg renderer, probing, music."""
