"""Turns a behave run into a certification summary."""
