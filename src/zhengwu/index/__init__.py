"""Influence index (影响力指数): indicator systems, published-formula presets, rankings."""
