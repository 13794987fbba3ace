"""The studio's HTTP layer: each route turns a request into one :class:`Studio` call.

Bound to this machine (the default) the server answers only requests addressed to
``127.0.0.1``/``localhost`` (a web page elsewhere cannot reach it by renaming its own host); bound
to another address it requires the session's random token, in the URL (``?token=``) or the
``X-Studio-Token`` header, on everything but the package's own static files. Files are sent
only from the reel's workspace (:meth:`videocolor.studio.workspace.Workspace.file`) or by frame
number, never by a path the client names elsewhere.
"""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.middleware.base import RequestResponseEndpoint
from starlette.middleware.trustedhost import TrustedHostMiddleware

from videocolor.errors import VideocolorError
from videocolor.refs.reference import frame_number
from videocolor.studio.hints import PointHint
from videocolor.studio.jobs import COMMANDS, RenderRequest
from videocolor.studio.session import MAX_UPLOAD_BYTES, Studio
from videocolor.studio.workspace import WorkspacePathError

STATIC = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "testserver")  # testserver: FastAPI's TestClient


class HintIn(BaseModel):
    x: float = Field(ge=0.0, le=1.0)
    y: float = Field(ge=0.0, le=1.0)
    color: str = Field(pattern=r"^#[0-9a-fA-F]{6}$")

    def point(self) -> PointHint:
        rgb = tuple(int(self.color[i : i + 2], 16) for i in (1, 3, 5))
        return PointHint(self.x, self.y, rgb)  # type: ignore[arg-type]


class HintsIn(BaseModel):
    hints: list[HintIn] = Field(default_factory=list, max_length=256)


class RenderIn(BaseModel):
    command: str = Field(default="colorize", pattern="^(" + "|".join(COMMANDS) + ")$")
    cluster: str | None = Field(default=None, max_length=300)


def create_app(studio: Studio, *, token: str | None = None) -> FastAPI:
    """The web app of ``studio``; with ``token`` every request but static files must carry it,
    without one only requests addressed to this machine are answered."""
    app = FastAPI(title="videocolor studio", docs_url=None, redoc_url=None, openapi_url=None)
    if token is None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(LOCAL_HOSTS))

    @app.middleware("http")
    async def require_token(request: Request, call_next: RequestResponseEndpoint) -> Response:
        if token is not None and not request.url.path.startswith("/static/"):
            given = request.query_params.get("token") or request.headers.get("x-studio-token")
            if not given or not hmac.compare_digest(given, token):
                return JSONResponse({"error": "this studio needs its token: open the URL "
                                     "the command printed"}, status_code=403)  # fmt: skip
        return await call_next(request)

    @app.exception_handler(VideocolorError)
    async def user_error(request: Request, error: VideocolorError) -> JSONResponse:
        status = 404 if isinstance(error, WorkspacePathError) else 400
        return JSONResponse({"error": str(error)}, status_code=status)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"error": error.detail}, status_code=error.status_code)

    @app.exception_handler(IndexError)
    async def not_found(request: Request, error: IndexError) -> JSONResponse:
        return JSONResponse({"error": str(error)}, status_code=404)

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/")
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    @app.get("/api/reel")
    def reel() -> dict[str, object]:
        return studio.overview()

    @app.get("/files/{path:path}")
    def workspace_file(path: str) -> FileResponse:
        return FileResponse(studio.workspace.file(path))

    @app.get("/api/frames/{frame}.png")
    def canvas(frame: int) -> Response:
        name = f"{frame:06d}.png"
        return Response(
            studio.canvas_png(frame),
            media_type="image/png",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @app.post("/api/refs")
    def upload(
        request: Request,
        file: Annotated[UploadFile, File()],
        frame: Annotated[int | None, Form()] = None,
    ) -> dict[str, object]:
        declared = request.headers.get("content-length")
        if declared is not None and int(declared) > MAX_UPLOAD_BYTES + 65536:
            raise HTTPException(413, f"an upload may be at most {MAX_UPLOAD_BYTES // 2**20} MB")
        name = Path(file.filename or "").name
        if frame is None:
            frame = frame_number(name)
        if frame is None:
            raise HTTPException(400, f"{name or 'the file'}: no frame number in its name; "
                                "name it by frame (000123.png) or give the frame")  # fmt: skip
        data = file.file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"an upload may be at most {MAX_UPLOAD_BYTES // 2**20} MB")
        return studio.add_reference(data, name, frame).as_dict()

    @app.get("/api/refs/{frame}/image")
    def painted_image(frame: int) -> FileResponse:
        return FileResponse(studio.painted_file(frame), headers={"Cache-Control": "no-store"})

    @app.post("/api/hints/{frame}")
    def hinted(frame: int, body: HintsIn) -> Response:
        jpeg = studio.hinted(frame, [h.point() for h in body.hints])
        return Response(jpeg, media_type="image/jpeg")

    @app.post("/api/hints/{frame}/save")
    def save_hinted(frame: int, body: HintsIn) -> dict[str, object]:
        if not body.hints:
            raise HTTPException(400, "no hints to colour the frame from")
        return studio.save_hinted(frame, [h.point() for h in body.hints]).as_dict()

    @app.post("/api/previews/{shot}", status_code=202)
    def start_preview(shot: int) -> dict[str, object]:
        studio.start_preview(shot)
        return studio.preview(shot)

    @app.get("/api/previews/{shot}")
    def preview(shot: int) -> dict[str, object]:
        return studio.preview(shot)

    @app.get("/api/renders")
    def render_status() -> dict[str, object]:
        job = studio.renders.current
        return {"state": "idle"} if job is None else job.status()

    @app.post("/api/renders", status_code=202)
    def start_render(body: RenderIn) -> JSONResponse:
        cluster = (body.cluster or "").strip() or None
        job, started = studio.start_render(RenderRequest(body.command, cluster))  # type: ignore[arg-type]
        return JSONResponse(job.status(), status_code=202 if started else 409)

    @app.post("/api/renders/stop")
    def stop_render() -> dict[str, object]:
        job = studio.renders.stop()
        return {"state": "idle"} if job is None else job.status()

    return app
