from covpkg.shapes import area

__all__ = ["area"]
