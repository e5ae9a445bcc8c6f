"""White-box tests: the only tests that may import private modules (a dotted path with a part
starting with ``_``).

They inject faults by replacing a private function, fill a private cache, or pin a private
helper's exact behaviour: checks the public API cannot reach without changing what they assert.
Every other test, benchmark, example and script uses public paths only
(``tests/test_public_api.py::test_tests_import_public_paths``), so that a reorganisation of the
private modules touches this folder and nothing else.
"""
