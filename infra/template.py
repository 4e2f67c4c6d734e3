"""Reading infra/template.yaml and infra/escalation.asl.json: the one description of
Escalator's AWS resources, used by the deploy path and by the local stack alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

INFRA = Path(__file__).parent
TEMPLATE_PATH = INFRA / "template.yaml"
ASL_PATH = INFRA / "escalation.asl.json"


class _CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !GetAtt, !Sub, ...) as their long form."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_CloudFormationLoader)


def load_state_machine_definition(substitutions: dict[str, str], path: Path = ASL_PATH) -> str:
    """The ASL with `${Name}` substitutions applied (Step Functions DefinitionSubstitutions)."""
    text = path.read_text(encoding="utf-8")
    for name, value in substitutions.items():
        text = text.replace("${" + name + "}", value)
    json.loads(text)  # still valid JSON
    return text


class Resolver:
    """Evaluates the intrinsic functions the template uses, against known values."""

    def __init__(self, refs: dict[str, str], attributes: dict[tuple[str, str], str]):
        self.refs = refs
        self.attributes = attributes

    def __call__(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self.refs[argument]
            if key == "Fn::GetAtt":
                return self.attributes[tuple(argument)]
            if key == "Fn::Sub":
                return self._sub(argument)
        return {k: self(v) for k, v in value.items()}

    def _sub(self, text: str) -> str:
        for name, value in self.refs.items():
            text = text.replace("${" + name + "}", value)
        for (resource, attribute), value in self.attributes.items():
            text = text.replace("${" + f"{resource}.{attribute}" + "}", value)
        if "${" in text:
            raise KeyError(f"unresolved substitution in {text!r}")
        return text
