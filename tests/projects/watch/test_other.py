def test_other():
    assert "watch"
