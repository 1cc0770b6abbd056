"""core.redirects.safe_next: only same-site relative paths are followed."""
import pytest

from core.redirects import safe_next


@pytest.mark.parametrize("target", ["/", "/registry/firms/3", "/goals/reviews?unit=jxj#r2", "/a//b"])
def test_same_site_paths_are_kept(target):
    assert safe_next(target, "/fallback") == target


@pytest.mark.parametrize("target", [
    None, "", "registry/firms", "//evil.example/x", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "https://evil.example/", "javascript:alert(1)", "http:/evil", "/\t/evil.example",
    "/\n/evil.example", " /registry", "/registry x",
])
def test_other_hosts_schemes_and_odd_paths_fall_back(target):
    assert safe_next(target, "/fallback") == "/fallback"
