from django.http import HttpResponse
from django.shortcuts import render


def bare(request):
    """The reference point of the benchmark: the whole middleware stack, no work."""
    return HttpResponse(b"ok", content_type="text/plain")


def floor(request):
    """The least any page costs: the session and user are read and the site's chrome (base.html) rendered."""
    return render(request, "bench/floor.html")
