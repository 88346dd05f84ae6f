from django import template

from core.chrome import chrome as render_chrome

register = template.Library()


@register.simple_tag(takes_context=True)
def chrome(context, part):
    """`{% chrome "header" %}`: a part of the site's chrome (core/chrome.py)."""
    return render_chrome(context, part)
