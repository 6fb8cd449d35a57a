# Production image: gunicorn serves portal.wsgi; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 UV_PROJECT_ENVIRONMENT=/opt/venv \
    PATH=/opt/venv/bin:$PATH DJANGO_SETTINGS_MODULE=portal.settings.production \
    STATIC_ROOT=/app/staticfiles

# postgresql-client-15: pg_dump for scripts/backup.py, of the same major as compose's postgres:15.
RUN apt-get update && apt-get install -y --no-install-recommends gettext libmagic1 poppler-utils \
    postgresql-client-15 tesseract-ocr tesseract-ocr-fra tesseract-ocr-nld tesseract-ocr-deu \
    tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/* \
    && pip install --no-cache-dir uv \
    && useradd --create-home --uid 1000 portal

WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# The build stage needs no secret, database or broker: its own settings (portal/settings/build.py).
# tests/integration/test_image_build.py runs these commands in a fresh environment from uv.lock.
RUN DJANGO_SETTINGS_MODULE=portal.settings.build python manage.py compilemessages \
        --ignore=/opt/venv -v0 \
    && DJANGO_SETTINGS_MODULE=portal.settings.build python manage.py collectstatic --no-input -v0 \
    && mkdir -p /app/var/media && chown -R portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--worker-class", "gthread", "--threads", "8", "--timeout", "60"]
