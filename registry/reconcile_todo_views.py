"""The to-do page of reconciliations (registry.reconcile_todos): enter a firm's credit code or dismiss."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from core.forms import FlaskForm

from core.permissions import get_in_scope_or_404, requires
from core.redirects import safe_next
from core.saving import act
from registry import reconcile_todos, service
from registry.models import Pool, ReconcileTodo
from registry.views import bp


class TodoForm(FlaskForm):
    pass


def _pool_arg():
    pool_id = request.args.get("pool", type=int)
    return get_in_scope_or_404(Pool, pool_id, "registry.edit") if pool_id and 0 < pool_id < 2**31 else None


@bp.route("/reconcile/todos", methods=["GET"])
@requires("registry.edit")
def reconcile_todo_list():
    status = request.args.get("status", "open")
    status = status if status in reconcile_todos.STATUSES else "open"
    pool = _pool_arg()
    return render_template("registry/reconcile_todos.html", todos=reconcile_todos.todos(pool, status), pool=pool,
                           status=status, pools=service.active_pools(), counts=reconcile_todos.open_counts(),
                           form=TodoForm())


def _todo(todo_id: int) -> ReconcileTodo:
    if not TodoForm().validate_on_submit():
        abort(400)
    return get_in_scope_or_404(ReconcileTodo, todo_id, "registry.edit")


def _back(_todo: ReconcileTodo):
    return redirect(safe_next(request.form.get("next"), url_for("registry.reconcile_todo_list")))


@bp.route("/reconcile/todos/<int:todo_id>/resolve", methods=["POST"])
@requires("registry.edit")
def reconcile_todo_resolve(todo_id):
    todo = _todo(todo_id)
    code = (request.form.get("code") or "").strip()
    if not code:
        flash(_("请填写统一社会信用代码"), "danger")
        return _back(todo)
    if saved := act(lambda: reconcile_todos.resolve_todo(current_user, todo, code=code, name=request.form.get("name"),
                                                         version=request.form.get("version"))):
        flash(_("“%(name)s”已登记并入库：%(firm)s", name=todo.name, firm=saved.result.firm.name), "success")
    return _back(todo)


@bp.route("/reconcile/todos/<int:todo_id>/dismiss", methods=["POST"])
@requires("registry.edit")
def reconcile_todo_dismiss(todo_id):
    todo = _todo(todo_id)
    if act(lambda: reconcile_todos.dismiss_todo(current_user, todo, note=request.form.get("note", ""),
                                               version=request.form.get("version"))):
        flash(_("已忽略“%(name)s”", name=todo.name), "success")
    return _back(todo)
