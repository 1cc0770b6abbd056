"""Errors of reading a file as a table: a stable code, a Chinese message and its English text."""
from __future__ import annotations

from typing import Any

ZH_MESSAGES: dict[str, str] = {
    "empty_file": "文件为空，没有找到表头和数据。",
    "too_large": "文件过大（{size_mb} MB），单个文件上限为 {limit_mb} MB，请拆分后分批上传。",
    "unsupported_format": "不支持的文件类型“{ext}”，请上传 .xlsx 或 .csv 文件。",
    "xls_not_supported": "不支持旧版 Excel（.xls）文件。请在 Excel 中选择“另存为”，"
                         "保存为“Excel 工作簿（.xlsx）”或“CSV UTF-8（逗号分隔）”后重新上传。",
    "not_xlsx": "文件不是有效的 xlsx 文件（可能已损坏或扩展名被改过）。"
                "请用 Excel 打开后另存为 .xlsx 再上传。",
    "xlsx_encrypted": "文件已加密，或实际是旧版 .xls 文件。请取消密码保护，"
                      "并在 Excel 中另存为 .xlsx 后重新上传。",
    "zip_bomb": "文件解压后体积异常（超过 {limit_mb} MB 或压缩比异常），为安全起见已拒绝处理。",
    "xml_unsafe": "文件包含不安全的 XML 内容（DOCTYPE/ENTITY 声明），为安全起见已拒绝处理。"
                  "请用 Excel 重新保存为 .xlsx 后上传。",
    "xlsx_corrupt": "无法读取 xlsx 文件内容，文件可能已损坏。请用 Excel 打开后另存为 .xlsx 再上传。",
    "no_sheet": "工作簿中没有可读取的工作表。",
    "encoding_unknown": "无法识别文件的文字编码。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”后上传。",
    "binary_content": "文件包含二进制内容，不是文本格式的 CSV 文件。",
    "csv_malformed": "CSV 文件格式错误（约第 {line} 行），无法解析。请检查引号是否成对。",
    "csv_unclosed_quote": "第 {line} 行“{column}”列的单元格以引号开头，但引号没有闭合，其后的行被并入了这个单元格。"
                          "请删除或补全该引号后重新上传（未写入任何数据）。",
    "too_many_rows": "数据超过 {limit} 行的上限，请拆分文件后分批上传。",
    "too_many_columns": "第 {line} 行的列数超过 {limit} 列的上限，请检查文件。",
    "parse_failed": "文件解析失败，请检查文件是否完整，或用 Excel 重新保存后上传。",
}

EN_MESSAGES: dict[str, str] = {
    "empty_file": "The file is empty: no header row or data found.",
    "too_large": "The file is too large ({size_mb} MB); the limit is {limit_mb} MB. "
                 "Please split it and upload the parts separately.",
    "unsupported_format": "Unsupported file type \"{ext}\"; please upload an .xlsx or .csv file.",
    "xls_not_supported": "Old Excel (.xls) files are not supported. Use \"Save As\" in Excel "
                         "to save as .xlsx or \"CSV UTF-8\" and upload again.",
    "not_xlsx": "The file is not a valid .xlsx file (it may be damaged or renamed). "
                "Open it in Excel and save it as .xlsx.",
    "xlsx_encrypted": "The file is password-protected or is really an old .xls file. "
                      "Remove the password and save it as .xlsx.",
    "zip_bomb": "The file expands to an abnormal size (over {limit_mb} MB or an abnormal "
                "compression ratio) and was refused for safety.",
    "xml_unsafe": "The file contains unsafe XML (DOCTYPE/ENTITY declarations) and was refused. "
                  "Re-save it as .xlsx in Excel and upload again.",
    "xlsx_corrupt": "The .xlsx file could not be read; it may be damaged. "
                    "Open it in Excel and save it as .xlsx.",
    "no_sheet": "The workbook has no readable worksheet.",
    "encoding_unknown": "The text encoding could not be recognised. Save the file as "
                        "\"CSV UTF-8 (comma delimited)\" and upload again.",
    "binary_content": "The file contains binary data; it is not a text CSV file.",
    "csv_malformed": "The CSV file is malformed near row {line}; check that quotes are balanced.",
    "csv_unclosed_quote": "Row {line}, column \"{column}\": the cell opens a quote that never closes, so the "
                          "rows after it were swallowed into this cell. Remove or close the quote and upload "
                          "again (nothing was written).",
    "too_many_rows": "The file has more than {limit} data rows; please split it.",
    "too_many_columns": "Row {line} has more than {limit} columns; please check the file.",
    "parse_failed": "The file could not be parsed. Check that it is complete, "
                    "or re-save it in Excel and upload again.",
}


class TableError(ValueError):
    """A file that cannot be read as a table.

    ``code`` is a stable key of :data:`ZH_MESSAGES` / :data:`EN_MESSAGES`;
    ``message`` is the Chinese text for the user, ``message_en`` the English one;
    ``params`` holds the values interpolated into both.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        self.message = ZH_MESSAGES[code].format(**params)
        super().__init__(self.message)

    @property
    def message_en(self) -> str:
        return EN_MESSAGES[self.code].format(**self.params)



def mb(size: int) -> str:
    """Bytes as megabytes for messages: '50', '12.3'."""
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")
