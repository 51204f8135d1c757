"""Sales dashboard: the sample Dash app bundled with dashdeploy.

It has the layout of the tutorial dashdeploy automates: the app in
dashapp.py, its pages' parts in apps/, static files in assets/ and data in
datasets/, read through a relative path.
"""
import pandas as pd
from dash import Dash, Input, Output, dcc, html

from apps import charts

sales = pd.read_csv("datasets/sales.csv")

app = Dash(__name__)
app.title = "Sales dashboard"

app.layout = html.Div(
    className="page",
    children=[
        html.H1("Sales dashboard"),
        html.P("Monthly sales by region, from datasets/sales.csv."),
        dcc.Dropdown(
            id="region",
            options=sorted(sales["region"].unique()),
            value="North",
            clearable=False,
        ),
        dcc.Graph(id="sales-chart"),
        html.Div(id="total", className="total"),
    ],
)


@app.callback(
    Output("sales-chart", "figure"),
    Output("total", "children"),
    Input("region", "value"),
)
def show_region(region):
    rows = sales[sales["region"] == region]
    return charts.monthly_bars(rows, region), charts.total_line(rows)


if __name__ == '__main__':
    app.run_server(debug=True)
