"""Data access for Bokji Atlas: boundaries, the table schema and the two stores.

``geodata`` is the bottom layer: it imports no other project package.
"""
