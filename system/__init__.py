"""The ALL-USE market integration system: the trading system under certification.

It reaches a venue only through :mod:`venue` and reads time only through an injected clock.
"""
