# dnssec-conformance: the package (its checks, suites and command) and a default domains.yaml
# in a small image.
# Build: docker build -t registry.example.com/dnssec-conformance:0.1.0 .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HOME=/tmp

RUN useradd --uid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin dnssec

WORKDIR /app
COPY constraints.txt pyproject.toml setup.py README.md LICENSE /app/
COPY src /app/src
COPY suites /app/suites
# Every dependency at the version CI tested (constraints.txt), nothing newer. The suites ship
# inside the package: the source is not needed afterwards. The cloud DNS providers' SDKs only
# on request: --build-arg EXTRAS=aws (or gcp, or aws,gcp).
ARG EXTRAS=""
RUN pip install --constraint /app/constraints.txt "/app${EXTRAS:+[$EXTRAS]}" \
    && rm -rf /app/src /app/suites /app/build
COPY domains.yaml /etc/dnssec-conformance/domains.yaml

RUN mkdir -p /reports /state && chown 10001:10001 /reports /state
VOLUME ["/reports", "/state"]
USER 10001:10001

# The README's "Container image" command: every check, the report, results.json, and the
# heartbeat when ONEUPTIME_HEARTBEAT_URL is set.
CMD ["dnssec-conformance", "--domains", "/etc/dnssec-conformance/domains.yaml", "--state-dir", "/state", "--results", "/reports/results.json", "--html", "/reports/report.html", "--self-contained-html", "--junitxml", "/reports/junit.xml", "--archive-dir", "/reports/archive"]
