"""The S3 storage path (django-storages) against a moto S3 server on loopback."""

import shutil
import subprocess
import time

import boto3
import pytest
from django.core.files.storage import default_storage

from connect.documents.services import document_receive
from connect.documents.services.processing import document_process
from connect.models import Processing
from dossiers.models import Dossier
from tests.connect import samples
from tests.fixtures_services import free_port
from users.models import User

pytestmark = pytest.mark.integration

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}


@pytest.fixture(scope="module")
def moto_endpoint():
    executable = shutil.which("moto_server")
    assert executable, "moto[server] is a test dependency"
    port = free_port()
    server = subprocess.Popen(
        [executable, "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-west-1", **CREDENTIALS)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.list_buckets()
            break
        except Exception:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(10)


@pytest.fixture
def s3(settings, moto_endpoint):
    bucket = "portal-documents"
    client = boto3.client("s3", endpoint_url=moto_endpoint, region_name="eu-west-1", **CREDENTIALS)
    client.create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_endpoint,
                "region_name": "eu-west-1",
                "access_key": "test",
                "secret_key": "test",
                "file_overwrite": False,
            },
        },
    }
    yield client, bucket
    for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
        client.delete_object(Bucket=bucket, Key=item["Key"])
    client.delete_bucket(Bucket=bucket)


def test_documents_round_trip_through_s3(s3, dossier: Dossier, client_user: User) -> None:
    client, bucket = s3
    data = samples.pdf(2)
    document = document_receive(
        dossier=dossier, actor=client_user, filename="facture.pdf", chunks=[data], source="web"
    ).document
    stored = client.get_object(Bucket=bucket, Key=document.storage_name)["Body"].read()
    assert stored == data
    with default_storage.open(document.storage_name, "rb") as handle:
        assert handle.read() == data
    document_process(document_id=document.pk)
    document.refresh_from_db()
    assert document.processing == Processing.DONE
    keys = {item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {document.storage_name, document.thumbnail_name}


def test_a_refused_file_leaves_nothing_in_the_bucket(
    s3, dossier: Dossier, client_user: User
) -> None:
    client, bucket = s3
    from core.errors import ServiceError

    with pytest.raises(ServiceError):
        document_receive(
            dossier=dossier,
            actor=client_user,
            filename="x.pdf",
            chunks=[samples.encrypted_pdf()],
            source="web",
        )
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_with_s3_downloads_are_streamed_even_behind_the_proxy(
    s3, dossier: Dossier, client_user: User, auth_client, settings
) -> None:
    """The proxy cannot read a bucket: CONNECT_X_ACCEL_REDIRECT is ignored with S3."""
    from django.urls import reverse

    settings.CONNECT_X_ACCEL_REDIRECT = "/_protected/"
    data = samples.pdf(1)
    document = document_receive(
        dossier=dossier, actor=client_user, filename="facture.pdf", chunks=[data], source="web"
    ).document
    response = auth_client(client_user).get(reverse("connect:download", args=[document.public_id]))
    assert "X-Accel-Redirect" not in response
    assert b"".join(response.streaming_content) == data
