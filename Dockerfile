# Production image: gunicorn serves the site; the same image runs the Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

# WeasyPrint renders PDF reports with Pango; fonts give the documents their glyphs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-liberation2 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir -r requirements.lock

COPY . .
RUN useradd --system --home /app app \
    && mkdir -p /app/var/media \
    && DEBUG=true python manage.py collectstatic --noinput --verbosity 0 \
    && DEBUG=true python manage.py compile_translations --verbosity 0 \
    && chown -R app /app/var
USER app

EXPOSE 8000
CMD ["gunicorn", "cms_mandates.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
