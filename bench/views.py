from django.http import HttpResponse


def bare(request):
    """The reference point of the benchmark: the whole middleware stack, no work."""
    return HttpResponse(b"ok", content_type="text/plain")
