"""The driver layer: builds a simulated session (exchange + system under test), drives it and
exposes what happened. Steps and pytest both use it; the system never imports it."""
