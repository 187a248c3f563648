def test_fixture(flat_value):
    assert flat_value == "flat"
