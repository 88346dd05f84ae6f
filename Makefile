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
	$(PY) manage.py warm_cache & # renders the shared pages into the cache while the server starts
	$(VENV)/bin/gunicorn -c config/gunicorn.py config.wsgi:application --bind $(HOST):$(PORT)

# Load test on PostgreSQL + Redis (not part of `make test`); see docs/benchmark.md. BENCH_ARGS="--duration 5" etc.
bench: venv
	bash scripts/bench.sh $(BENCH_ARGS)

lint: venv
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

# Korean msgids get English msgstrs (locale/en), English msgids Korean ones
# (locale/ko); the last step lists any entry still to translate.
messages: venv
	$(PY) manage.py makemessages -l en -l ko --ignore=.venv --ignore=staticfiles --ignore=test-artifacts --ignore=tests --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv
	$(PY) scripts/i18n-check.py

clean:
	rm -rf $(VENV) staticfiles test-artifacts .pytest_cache
