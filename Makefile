# Two commands are the contract: `make run` and `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test setup venv serve bench lint messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@bash scripts/find-python.sh >/dev/null
	@test -x $(PY) || "$$(bash scripts/find-python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(VENV)/.installed

setup: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_bundled_content
	$(PY) manage.py create_demo_users

run: setup
	@echo "Serving on http://$(HOST):$(PORT)/"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(PY) manage.py runserver $(HOST):$(PORT)

test: venv
	$(PY) -m pytest -n $${PYTEST_WORKERS:-auto} $(PYTEST_ARGS)

serve: venv
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput
	$(VENV)/bin/gunicorn config.wsgi:application \
		--bind $(HOST):$(PORT) \
		--workers $${WEB_CONCURRENCY:-$$(( $$(nproc) * 2 + 1 ))} \
		--access-logfile - --log-level info

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

messages: venv
	$(PY) manage.py makemessages -l en --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache
