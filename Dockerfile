FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update && apt-get install -y --no-install-recommends gettext && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The locked dependencies (requirements.lock, written by `make lock`), every file checked against
# its hash; copied alone first so this layer is rebuilt only when the lock changes. The project
# itself adds no package: the processes run from /app.
COPY requirements.lock .
RUN pip install --require-hashes -r requirements.lock
COPY . .
# Build steps need no secret: development mode for them only (the image runs with SECRET_KEY).
RUN RELESS_DEV=1 python manage.py compilemessages -v 0 \
    && RELESS_DEV=1 python manage.py collectstatic --no-input -v 0
# The processes run as an unprivileged user that cannot change the code nor the static files.
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin reless \
    && mkdir -p /srv/files && chown reless /srv/files
# Export and open-data files (docker-compose.yml mounts one volume here for web and worker).
ENV RELESS_EXPORT_DIR=/srv/files/exports RELESS_OPEN_DATA_DIR=/srv/files/open-data
USER reless
EXPOSE 8000
CMD ["gunicorn", "reless_platform.wsgi:application", "-c", "gunicorn.conf.py"]
