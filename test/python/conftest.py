"""pytest configuration of the Python package tests (run by scripts/python/test.sh).

The jsii runtime prints a boxed end-of-life banner on every start under Node 20. These tests run on
the machine's Node 20 on purpose (it is still a supported toolchain of the project, see README), so
there the banner is noise and is silenced for Node 20 only; any other warning still shows.
"""
import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
