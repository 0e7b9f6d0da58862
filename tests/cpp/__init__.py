"""Tests of the Linux C++ SDK (sdk/cpp), driven from pytest."""
